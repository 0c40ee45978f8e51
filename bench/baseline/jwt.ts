import { Hs256Verifier } from '../../src/auth/sessions/hs256-verifier';

/** The claims Taskwright puts in an access token (see src/auth/sessions/access-token.service.ts). */
export interface AccessClaims {
  sub: string;
  role: 'user' | 'admin';
  sid: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The same HS256 check as Taskwright's rate limiter and authentication (its node:crypto
 * verifier, pinned to HS256, with the signature, `exp`, `nbf`, issuer and audience), then the
 * claim shapes. Undefined for any token Taskwright would refuse.
 */
export class AccessTokenVerifier {
  private readonly verifier: Hs256Verifier;

  constructor(secret: string) {
    this.verifier = new Hs256Verifier(secret, { issuer: 'taskwright', audience: 'taskwright-api' });
  }

  verify(token: string, nowSeconds?: number): AccessClaims | undefined {
    const payload = this.verifier.verify(token, nowSeconds);
    if (payload === undefined) return undefined;
    const { sub, role, sid } = payload;
    if (typeof sub !== 'string' || !UUID.test(sub) || typeof sid !== 'string' || !UUID.test(sid)) return undefined;
    if (role !== 'user' && role !== 'admin') return undefined;
    return { sub, role, sid };
  }
}
