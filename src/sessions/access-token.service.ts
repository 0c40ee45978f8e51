import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { isUuid } from '../common/uuid';
import { AppConfig } from '../config/app-config';
import { type AuthUser, ROLES, type Role } from '../common/auth/auth-user';

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

/**
 * Narrows a verified payload to our claims; a token signed with our secret but shaped otherwise is
 * refused. jsonwebtoken checks `exp` only when it is present, so a token without one (it would
 * never expire) is refused here.
 */
export function toAccessTokenClaims(payload: unknown): AccessTokenClaims | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { sub, role, sid, exp } = payload as Record<string, unknown>;
  // Stryker disable next-line ConditionalExpression: Number.isFinite is false for every non-number, so the typeof test alone changes nothing
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  if (!isUuid(sub) || !isUuid(sid)) return undefined;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return undefined;
  return { sub, role: role as Role, sid };
}

/**
 * The HMAC key as a KeyObject, made once. Given a string, jsonwebtoken 9 first tries to parse it
 * as a PEM public key (createPublicKey, then catch) on every verify, which costs far more CPU than
 * the HMAC itself (`npm run bench -- --micro` measures both).
 */
export function accessTokenKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/** Signs the short-lived access tokens (HS256, JWT_SECRET); JwtStrategy checks them. */
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
    });
  }

  sign(user: AuthUser): string {
    return this.jwt.sign({ role: user.role, sid: user.sessionId }, { subject: user.id });
  }
}
