import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import passport from 'passport';
import { IS_PUBLIC } from '../../common/auth/public.decorator';
import type { AuthUser } from '../../common/auth/auth-user';
import { JWT_STRATEGY, JwtStrategy } from '../jwt.strategy';
import { unauthenticated } from './unauthenticated';

type Middleware = (request: unknown, response: unknown, next: (error?: unknown) => void) => void;

/** Passport reports why a token failed in `info`: turn that into a 401 a client can act on. */
export function authenticatedUser(error: unknown, user: AuthUser | false | undefined, info: unknown): AuthUser {
  // Our own 401s from the strategy, and infrastructure failures (a 500), pass through as they are.
  if (error) throw error;
  if (user) return user;
  if (info instanceof Error && info.name === 'TokenExpiredError') throw unauthenticated('token-expired');
  if (info instanceof Error && info.message === 'No auth token') throw unauthenticated('missing-token');
  throw unauthenticated('invalid-token');
}

/**
 * The global guard: every route needs a valid access token of a live session unless it is
 * `@Public()`. Runs the `jwt` Passport strategy (JwtStrategy) and sets `request.user`.
 *
 * It authenticates through an Authenticator of its own rather than the `passport` singleton
 * that @nestjs/passport's AuthGuard uses: with the singleton, every app in a process (two
 * instances in one test, a CLI next to a server) would verify against whichever app registered
 * its strategy last, and so against that app's sessions and database.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly authenticator = new passport.Authenticator();

  constructor(
    private readonly reflector: Reflector,
    strategy: JwtStrategy,
  ) {
    this.authenticator.use(JWT_STRATEGY, strategy);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic === true) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<{ user?: AuthUser }>();
    request.user = await this.authenticate(request, http.getResponse());
    return true;
  }

  private authenticate(request: unknown, response: unknown): Promise<AuthUser> {
    return new Promise((resolve, reject) => {
      const middleware: Middleware = this.authenticator.authenticate(
        JWT_STRATEGY,
        { session: false },
        (error: unknown, user: AuthUser | false | undefined, info: unknown) => {
          try {
            resolve(authenticatedUser(error, user, info));
          } catch (failure) {
            reject(failure);
          }
        },
      );
      // With a callback, Passport settles through it; `next` only ever carries an error.
      middleware(request, response, (error) => reject(error ?? unauthenticated('invalid-token')));
    });
  }
}
