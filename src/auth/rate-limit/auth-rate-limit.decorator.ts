import { applyDecorators, SetMetadata } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { GENERAL_THROTTLER } from './rate-limit-keys';

export const AUTH_RATE_LIMITED = 'taskwright:authRateLimited';

/**
 * Puts a credential route (login, register, refresh, password change) under the strict limits,
 * per IP and per account (AUTH_RATE_LIMIT_*), instead of the general one.
 */
export const AuthRateLimit = (): MethodDecorator =>
  applyDecorators(SetMetadata(AUTH_RATE_LIMITED, true), SkipThrottle({ [GENERAL_THROTTLER]: true }));
