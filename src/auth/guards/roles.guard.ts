import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '../../common/problem/problem.exception';
import type { AuthUser, Role } from '../../common/auth/auth-user';
import { ROLES_KEY } from '../../common/auth/roles.decorator';
import { unauthenticated } from './unauthenticated';

/** The global guard behind `@Roles(...)`: 403 for an authenticated caller without one of the roles. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!user) throw unauthenticated('missing-token');
    if (!roles.includes(user.role)) {
      throw new ProblemException(403, 'forbidden', `This route is for the ${roles.join(' or ')} role only`);
    }
    return true;
  }
}
