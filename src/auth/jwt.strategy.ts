import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import type { AuthUser } from '../common/auth/auth-user';
import { unauthenticated } from './guards/unauthenticated';
import {
  accessTokenKey,
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  toAccessTokenClaims,
} from '../sessions/access-token.service';
import { SessionsService } from '../sessions/sessions.service';
import { recallVerifiedToken } from '../sessions/verified-tokens';

export const JWT_STRATEGY = 'jwt';

/**
 * Verifies the bearer token (HS256 only, our issuer and audience, not expired), then asks
 * SessionsService whether its session is still live, so logout and revocations bite at once.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  private readonly extractToken = ExtractJwt.fromAuthHeaderAsBearerToken();

  constructor(
    config: AppConfig,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // jsonwebtoken 9 takes a KeyObject; passport-jwt's types predate that and say string | Buffer.
      secretOrKey: accessTokenKey(config.jwtSecret) as unknown as Buffer,
      algorithms: ACCESS_TOKEN_ALGORITHMS,
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  /**
   * passport-jwt's authenticate, minus the second signature check when the rate limiter already
   * verified this exact token for this request, with the same key, algorithm, issuer, audience
   * and expiry rules (AccessTokenService). The session check in `validate` always runs.
   */
  override authenticate(request: Parameters<Strategy['authenticate']>[0], options?: Parameters<Strategy['authenticate']>[1]): void {
    const token = this.extractToken(request);
    const payload = token ? recallVerifiedToken(request, token) : undefined;
    if (payload === undefined) {
      super.authenticate(request, options);
      return;
    }
    this.validate(payload).then(
      (user) => this.success(user),
      (error: unknown) => this.error(error instanceof Error ? error : new Error(String(error))),
    );
  }

  async validate(payload: unknown): Promise<AuthUser> {
    const claims = toAccessTokenClaims(payload);
    if (!claims) throw unauthenticated('invalid-token');
    if (!(await this.sessions.isActive(claims))) throw unauthenticated('session-revoked');
    return { id: claims.sub, role: claims.role, sessionId: claims.sid };
  }
}
