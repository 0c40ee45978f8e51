import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC } from '../../common/auth/public.decorator';
import { ProblemException } from '../../common/problem/problem.exception';
import type { AuthenticatedRequest, AuthUser } from '../../common/auth/auth-user';
import { JwtStrategy } from '../jwt.strategy';
import { unauthenticated } from '../../common/auth/unauthenticated';

/** Passport reports why a token failed in `info`: the 401 that tells a client whether refreshing can help. */
function refusalFor(info: unknown): ProblemException {
  if (info instanceof Error && info.name === 'TokenExpiredError') return unauthenticated('token-expired');
  if (info instanceof Error && info.message === 'No auth token') return unauthenticated('missing-token');
  return unauthenticated('invalid-token');
}

function isRefusal(error: unknown): error is ProblemException {
  return error instanceof ProblemException && error.getStatus() === 401;
}

/**
 * The first global guard: runs @nestjs/passport's AuthGuard with JwtStrategy (the token, then its
 * session) on every route that is not `@Public()`, and sets `request.user`. A refused token is not
 * thrown here but kept on the request (`authFailure`), so the rate limiter, which runs next and
 * counts a caller by `request.user` (the one token verification of the request), still counts it
 * against its address; RolesGuard then answers with it. Other errors (a database outage) throw.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard() {
  constructor(
    private readonly reflector: Reflector,
    strategy: JwtStrategy,
  ) {
    super({ defaultStrategy: strategy.name });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic === true) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    try {
      await super.canActivate(context);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      request.authFailure = error;
    }
    // Passport settles through handleRequest, which either returns a user or throws; never let a
    // request without either through.
    if (request.user === undefined) request.authFailure ??= unauthenticated('invalid-token');
    return true;
  }

  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false | undefined, info: unknown): TUser {
    // Our own 401s from the strategy (a revoked session), and infrastructure failures, as they are.
    if (error) throw error;
    if (!user) throw refusalFor(info);
    return user;
  }
}
