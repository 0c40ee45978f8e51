import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { type AuthUser, ROLES, type Role } from '../auth-user';
import { recallVerifiedToken, rememberVerifiedToken } from './verified-tokens';

export const ACCESS_TOKEN_ISSUER = 'taskwright';
export const ACCESS_TOKEN_AUDIENCE = 'taskwright-api';
/** Pinned: `none` and every other algorithm (including RS256 with the secret as a "public key") are refused. */
export const ACCESS_TOKEN_ALGORITHMS: ['HS256'] = ['HS256'];

/** What an access token says, once its signature, expiry, issuer and audience checked out. */
export interface AccessTokenClaims {
  sub: string;
  role: Role;
  sid: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Narrows a verified payload to our claims; a token signed with our secret but shaped otherwise is
 * refused. jsonwebtoken checks `exp` only when it is present, so a token without one (it would
 * never expire) is refused here.
 */
export function toAccessTokenClaims(payload: unknown): AccessTokenClaims | undefined {
  // Null or any non-object payload has no claims and fails the exp check below.
  const { sub, role, sid, exp } = (payload ?? {}) as Record<string, unknown>;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  if (typeof sub !== 'string' || !UUID.test(sub)) return undefined;
  if (typeof sid !== 'string' || !UUID.test(sid)) return undefined;
  if (!(ROLES as readonly unknown[]).includes(role)) return undefined;
  return { sub, role: role as Role, sid };
}

/**
 * The HMAC key as a KeyObject, made once. Given a string, jsonwebtoken 9 first tries to parse it
 * as a PEM public key (createPublicKey, then catch) on every verify: about 0.6 ms of CPU per token
 * measured by `npm run bench -- --micro`, against 11 µs with a KeyObject.
 */
export function accessTokenKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/** Signs the short-lived access tokens (HS256, JWT_SECRET) and checks them outside Passport. */
@Injectable()
export class AccessTokenService {
  private readonly jwt: JwtService;
  readonly expiresInSeconds: number;

  constructor(config: AppConfig) {
    this.expiresInSeconds = config.jwtAccessTtlSeconds;
    this.jwt = new JwtService({
      secret: accessTokenKey(config.jwtSecret),
      signOptions: {
        algorithm: ACCESS_TOKEN_ALGORITHMS[0],
        expiresIn: config.jwtAccessTtlSeconds,
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
      },
      verifyOptions: { algorithms: ACCESS_TOKEN_ALGORITHMS, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE },
    });
  }

  sign(user: AuthUser): string {
    return this.jwt.sign({ role: user.role, sid: user.sessionId }, { subject: user.id });
  }

  /**
   * The claims of a valid token, else undefined. Checks the signature only, not the session: the
   * rate limiter uses it to count a request against its user rather than its IP. Given the
   * request, a success is remembered for it, so the authentication guard does not verify the
   * same token a second time (see verified-tokens.ts).
   */
  verify(token: string, request?: object): AccessTokenClaims | undefined {
    const known = request === undefined ? undefined : recallVerifiedToken(request, token);
    if (known !== undefined) return toAccessTokenClaims(known);
    let payload: unknown;
    try {
      payload = this.jwt.verify<object>(token);
    } catch {
      return undefined;
    }
    const claims = toAccessTokenClaims(payload);
    if (claims !== undefined && request !== undefined) rememberVerifiedToken(request, token, payload as object);
    return claims;
  }
}
