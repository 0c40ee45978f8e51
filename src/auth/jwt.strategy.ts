import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { randomUUID } from 'node:crypto';
import passport from 'passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import type { AuthUser } from '../common/auth/auth-user';
import { unauthenticated } from '../common/auth/unauthenticated';
import { accessTokenKey, ACCESS_TOKEN_ALGORITHMS, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, toAccessTokenClaims } from '../sessions/access-token.service';
import { SessionsService } from '../sessions/sessions.service';

/**
 * Verifies the bearer token (HS256 only, our issuer and audience, not expired), then asks
 * SessionsService whether its session is still live, so logout and revocations bite at once.
 *
 * Passport's strategy registry is process-wide: under one shared name, the app started last would
 * check every app's tokens against its own sessions and Redis (the multi-instance specs run two
 * apps in one process, one of them cut off from Redis). So each app registers its strategy under
 * a name of its own, which its JwtAuthGuard uses, and removes it when it closes.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) implements OnModuleDestroy {
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
    // The mixin registered this strategy under passport-jwt's shared name `jwt`.
    passport.unuse(this.name);
    this.name = `jwt-${randomUUID()}`;
    passport.use(this.name, this);
  }

  async validate(payload: unknown): Promise<AuthUser> {
    const claims = toAccessTokenClaims(payload);
    if (!claims) throw unauthenticated('invalid-token');
    if (!(await this.sessions.isActive(claims))) throw unauthenticated('session-revoked');
    return { id: claims.sub, role: claims.role, sessionId: claims.sid };
  }

  onModuleDestroy(): void {
    passport.unuse(this.name);
  }
}
