import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { AppConfig } from '../../config/app-config';
import { AUTH_RATE_LIMITED } from './auth-rate-limit.decorator';
import {
  accountTracker,
  AUTH_ACCOUNT_THROTTLER,
  AUTH_IP_THROTTLER,
  clientTracker,
  GENERAL_THROTTLER,
  ipTracker,
  rateLimitKey,
  type TrackedRequest,
  type VerifyAccessToken,
} from './rate-limit-keys';

const reflector = new Reflector();

function isAuthRateLimited(context: ExecutionContext): boolean {
  return reflector.getAllAndOverride<boolean | undefined>(AUTH_RATE_LIMITED, [context.getHandler(), context.getClass()]) === true;
}

/** Each credential route has its own budget: a burst of refreshes does not block logging in. */
function perRouteKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
  return rateLimitKey(throttlerName, tracker, `${context.getClass().name}.${context.getHandler().name}`);
}

/**
 * Three throttlers: the general per-client limit on every route, and on credential routes
 * (`@AuthRateLimit()`) a strict limit per IP and another per account.
 */
export function createThrottlerOptions(config: AppConfig, storage: ThrottlerStorage, verify: VerifyAccessToken): ThrottlerModuleOptions {
  return {
    storage,
    throttlers: [
      {
        name: GENERAL_THROTTLER,
        ttl: config.rateLimitTtlMs,
        limit: config.rateLimitMax,
        getTracker: (request) => clientTracker(request as TrackedRequest, verify),
        // One budget per client across all routes.
        generateKey: (_context, tracker, throttlerName) => rateLimitKey(throttlerName, tracker),
      },
      {
        name: AUTH_IP_THROTTLER,
        ttl: config.authRateLimitTtlMs,
        limit: config.authRateLimitMax,
        skipIf: (context) => !isAuthRateLimited(context),
        getTracker: (request) => ipTracker(request as TrackedRequest),
        generateKey: perRouteKey,
        setHeaders: false,
      },
      {
        name: AUTH_ACCOUNT_THROTTLER,
        ttl: config.authRateLimitTtlMs,
        limit: config.authRateLimitMax,
        skipIf: (context) => !isAuthRateLimited(context),
        getTracker: (request) => accountTracker(request as TrackedRequest, verify),
        generateKey: perRouteKey,
        setHeaders: false,
      },
    ],
  };
}
