import { createHmac } from 'node:crypto';
import * as jsonwebtoken from 'jsonwebtoken';
import { Hs256Verifier } from './hs256-verifier';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256-000';
const RULES = { issuer: 'taskwright', audience: 'taskwright-api' };
const NOW = 1_900_000_000;
const verifier = new Hs256Verifier(SECRET, RULES);

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const claims = { sub: '0190a0b0-0000-7000-8000-000000000001', role: 'user', sid: '0190a0b0-0000-7000-8000-000000000002' };
const valid = { ...claims, iat: NOW - 10, exp: NOW + 900, iss: RULES.issuer, aud: RULES.audience };

/** A token with any header and payload, signed with HMAC-SHA256 under `secret`. */
function forge(header: unknown, payload: unknown, secret = SECRET): string {
  const signingInput = `${b64(header)}.${b64(payload)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

/** What jsonwebtoken, configured as AccessTokenService configures it, says of a token. */
function jsonwebtokenAccepts(token: string): boolean {
  try {
    jsonwebtoken.verify(token, SECRET, { algorithms: ['HS256'], issuer: RULES.issuer, audience: RULES.audience, clockTimestamp: NOW });
    return true;
  } catch {
    return false;
  }
}

const HS256 = { alg: 'HS256', typ: 'JWT' };
const good = forge(HS256, valid);

const refused: Array<[string, string]> = [
  ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(valid)}.`],
  ['alg none, with an HS256 signature', forge({ alg: 'none' }, valid)],
  ['HS512 named in the header', forge({ alg: 'HS512' }, valid)],
  ['RS256 named in the header', forge({ alg: 'RS256' }, valid)],
  ['no alg', forge({ typ: 'JWT' }, valid)],
  ['another secret', forge(HS256, valid, `${SECRET}x`)],
  ['a payload changed after signing', `${good.split('.')[0]}.${b64({ ...valid, role: 'admin' })}.${good.split('.')[2]}`],
  ['a truncated signature', good.slice(0, -2)],
  ['a padded signature', `${good}=`],
  ['a signature with a stray character', `${good.slice(0, -1)}+`],
  ['no signature segment', good.split('.').slice(0, 2).join('.')],
  ['an empty signature', `${good.split('.').slice(0, 2).join('.')}.`],
  ['four segments', `${good}.x`],
  ['expired', forge(HS256, { ...valid, exp: NOW })],
  ['exp that is not a number', forge(HS256, { ...valid, exp: String(NOW + 900) })],
  ['not yet valid (nbf)', forge(HS256, { ...valid, nbf: NOW + 60 })],
  ['another issuer', forge(HS256, { ...valid, iss: 'someone-else' })],
  ['no issuer', forge(HS256, { ...claims, exp: NOW + 900, aud: RULES.audience })],
  ['another audience', forge(HS256, { ...valid, aud: 'another-api' })],
  ['an audience list without ours', forge(HS256, { ...valid, aud: ['a', 'b'] })],
  ['a header that is not JSON', `${b64('{alg')}.${good.split('.')[1]}.${good.split('.')[2]}`],
  ['a payload that is not an object', forge(HS256, [1, 2, 3])],
  ['an empty string', ''],
  ['garbage', 'not.a.jwt'],
];

describe('Hs256Verifier', () => {
  it('accepts a valid token and returns its payload', () => {
    expect(verifier.verify(good, NOW)).toEqual(valid);
    expect(jsonwebtokenAccepts(good)).toBe(true);
  });

  it('accepts an audience list that names ours, and a past nbf, as jsonwebtoken does', () => {
    for (const token of [forge(HS256, { ...valid, aud: ['x', RULES.audience] }), forge(HS256, { ...valid, nbf: NOW - 1 })]) {
      expect(verifier.verify(token, NOW)).toBeDefined();
      expect(jsonwebtokenAccepts(token)).toBe(true);
    }
  });

  it.each(refused)('refuses %s', (_name, token) => {
    expect(verifier.verify(token, NOW)).toBeUndefined();
  });

  it('agrees with jsonwebtoken on tokens jsonwebtoken signs', () => {
    const signed = jsonwebtoken.sign({ role: 'user', sid: claims.sid }, SECRET, {
      algorithm: 'HS256',
      subject: claims.sub,
      issuer: RULES.issuer,
      audience: RULES.audience,
      expiresIn: 900,
    });
    expect(verifier.verify(signed)).toMatchObject(claims);
    expect(new Hs256Verifier(`${SECRET}x`, RULES).verify(signed)).toBeUndefined();
  });
});
