/**
 * Experiment (`npm run bench -- --experiment jwt-keyobject`), preloaded into Taskwright only: what
 * the proposed fix would give, without touching src/. jsonwebtoken 9 first tries
 * `crypto.createPublicKey(secret)` on every verify whose key is a string (to find out whether it is
 * a PEM public key), which fails and throws for an HMAC secret: about 1.4 ms of CPU per call here,
 * and Taskwright verifies each token twice (rate-limit tracker, then Passport). Handing
 * jsonwebtoken a KeyObject skips that. The fix in src/ is one line in each place that passes the
 * secret: `createSecretKey(Buffer.from(config.jwtSecret, 'utf8'))` instead of the string.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

// The module object itself (an `import * as` namespace would be a read-only copy), patched before
// passport-jwt and @nestjs/jwt load it.
const jsonwebtoken = createRequire(__filename)('jsonwebtoken') as { verify: unknown };

const keys = new Map<string, KeyObject>();
const original = jsonwebtoken.verify;
const patched = function verify(this: unknown, token: unknown, secret: unknown, ...rest: unknown[]): unknown {
  let key = secret;
  if (typeof secret === 'string') {
    key = keys.get(secret);
    if (key === undefined) {
      const created = createSecretKey(Buffer.from(secret, 'utf8'));
      keys.set(secret, created);
      key = created;
    }
  }
  return (original as (...args: unknown[]) => unknown).call(this, token, key, ...rest);
};
jsonwebtoken.verify = patched;
