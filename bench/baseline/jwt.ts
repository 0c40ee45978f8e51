import { createHmac, timingSafeEqual } from 'node:crypto';

/** The claims Taskwright puts in an access token (see src/sessions/access-token.service.ts). */
export interface AccessClaims {
  sub: string;
  role: 'user' | 'admin';
  sid: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISSUER = 'taskwright';
const AUDIENCE = 'taskwright-api';

function parseJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * HS256 verification with node:crypto, checking what Taskwright's passport-jwt/jsonwebtoken setup
 * checks: the algorithm is pinned to HS256, the signature, `exp` and `nbf`, the issuer and the
 * audience, then the claim shapes. Undefined for any token Taskwright would refuse.
 */
export class AccessTokenVerifier {
  private readonly secret: Buffer;

  constructor(secret: string) {
    this.secret = Buffer.from(secret, 'utf8');
  }

  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): AccessClaims | undefined {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return undefined;
    const header = parseJson(token.slice(0, first));
    if (!header || header.alg !== 'HS256') return undefined;
    const expected = createHmac('sha256', this.secret).update(token.slice(0, second)).digest();
    const given = Buffer.from(token.slice(second + 1), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const payload = parseJson(token.slice(first + 1, second));
    if (!payload) return undefined;
    if (typeof payload.exp !== 'number' || nowSeconds >= payload.exp) return undefined;
    if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || nowSeconds < payload.nbf)) return undefined;
    if (payload.iss !== ISSUER) return undefined;
    const audience = payload.aud;
    if (!(audience === AUDIENCE || (Array.isArray(audience) && audience.includes(AUDIENCE)))) return undefined;
    const { sub, role, sid } = payload;
    if (typeof sub !== 'string' || !UUID.test(sub) || typeof sid !== 'string' || !UUID.test(sid)) return undefined;
    if (role !== 'user' && role !== 'admin') return undefined;
    return { sub, role, sid };
  }
}
