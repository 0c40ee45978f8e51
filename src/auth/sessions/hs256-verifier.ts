import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Hs256Rules {
  issuer: string;
  audience: string;
}

function decodeObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * HS256 JWT verification with node:crypto alone, for the hot path: every authenticated request
 * verifies its bearer token, and jsonwebtoken (through jws and jwa) spent about five times as long
 * on it (`npm run bench`, profile of the cached list). It accepts no token that jsonwebtoken,
 * configured as AccessTokenService configures it, would refuse, and is stricter where that costs
 * nothing: the header must name HS256 (so `none`, other HMAC sizes and RS256 "public key" tricks
 * fail), the signature must be the exact unpadded base64url of the HMAC (compared in constant
 * time), `exp` is required and must lie in the future, a present `nbf` must have passed, and the
 * issuer and audience must match. Undefined for anything else; callers that need the reason a
 * token failed ask jsonwebtoken (passport-jwt) instead.
 */
export class Hs256Verifier {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly rules: Hs256Rules,
  ) {
    this.key = Buffer.from(secret, 'utf8');
  }

  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> | undefined {
    const first = token.indexOf('.');
    const second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) >= 0) return undefined;
    const header = decodeObject(token.slice(0, first));
    if (header?.alg !== 'HS256') return undefined;
    const expected = Buffer.from(createHmac('sha256', this.key).update(token.slice(0, second)).digest('base64url'), 'latin1');
    const given = Buffer.from(token.slice(second + 1), 'latin1');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const payload = decodeObject(token.slice(first + 1, second));
    if (payload === undefined) return undefined;
    if (typeof payload.exp !== 'number' || nowSeconds >= payload.exp) return undefined;
    if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || nowSeconds < payload.nbf)) return undefined;
    if (payload.iss !== this.rules.issuer) return undefined;
    const { aud } = payload;
    if (aud !== this.rules.audience && !(Array.isArray(aud) && aud.includes(this.rules.audience))) return undefined;
    return payload;
  }
}
