import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '../../common/problem/problem.exception';
import type { AuthenticatedRequest, Role } from '../../common/auth/auth-user';
import { ROLES_KEY } from '../../common/auth/roles.decorator';
import { unauthenticated } from '../../common/auth/unauthenticated';

/**
 * The last global guard: turns away the caller JwtAuthGuard refused (after the rate limiter
 * counted it), then, behind `@Roles(...)`, answers 403 to an authenticated caller without one of
 * the roles.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.authFailure) throw request.authFailure;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!roles || roles.length === 0) return true;
    if (!request.user) throw unauthenticated('missing-token');
    if (!roles.includes(request.user.role)) {
      throw new ProblemException(403, 'forbidden', `This route is for the ${roles.join(' or ')} role only`);
    }
    return true;
  }
}
