import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedRequest } from '../../common/auth/auth-user';
import { VERIFIED_EMAIL_FOR_WRITES } from '../../common/auth/verified-email.decorator';
import { ProblemException } from '../../common/problem/problem.exception';
import { AppConfig } from '../../config/app-config';
import { UsersService } from '../../users/users.service';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * With REQUIRE_VERIFIED_EMAIL_FOR_WRITES on, refuses the writes of `@VerifiedEmailForWrites()`
 * controllers to an account whose email is not verified (403 `email-not-verified`). Read from the
 * database, not the access token, so a verification counts at once.
 */
@Injectable()
export class VerifiedEmailGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.config.requireVerifiedEmailForWrites) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { method: string }>();
    if (READS.has(request.method) || request.user === undefined) return true;
    if (!this.reflector.getAllAndOverride<boolean | undefined>(VERIFIED_EMAIL_FOR_WRITES, [context.getHandler(), context.getClass()])) return true;
    if (await this.users.isEmailVerified(request.user.id)) return true;
    throw new ProblemException(
      403,
      'email-not-verified',
      'Verify your email address first: open the link mailed to it, or ask for a new one (POST /v1/auth/email/verify/resend)',
    );
  }
}
