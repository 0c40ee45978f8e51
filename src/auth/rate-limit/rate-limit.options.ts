import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { AppConfig } from '../../config/app-config';
import { AUTH_RATE_LIMITED, type AuthRateLimitKind, GENERAL_THROTTLER } from '../../common/auth/auth-rate-limit.decorator';
import {
  accountTracker,
  AUTH_ACCOUNT_THROTTLER,
  AUTH_IP_THROTTLER,
  clientTracker,
  ipTracker,
  rateLimitKey,
  refreshSessionOf,
  type TrackedRequest,
} from './rate-limit-keys';

const reflector = new Reflector();

/** The kinds also limited per address (AUTH_REGISTER_IP_MAX per route): registration and every mail-sending or token-spending route. */
const PER_ADDRESS_KINDS = new Set<AuthRateLimitKind | undefined>(['register', 'recovery', 'token', 'mail']);

function authRateLimitKind(context: ExecutionContext): AuthRateLimitKind | undefined {
  return reflector.getAllAndOverride<AuthRateLimitKind | undefined>(AUTH_RATE_LIMITED, [context.getHandler(), context.getClass()]);
}

/** The throttler-counted account budget: every kind but login (whose failures alone count, LoginFailureLimitInterceptor). */
function skipsAccountLimit(context: ExecutionContext): boolean {
  const kind = authRateLimitKind(context);
  if (kind === undefined || kind === 'login') return true;
  // A malformed refresh token is refused before it reaches the database: nothing to protect.
  return kind === 'refresh' && refreshSessionOf(context.switchToHttp().getRequest<TrackedRequest>()) === undefined;
}

/** Each credential route has its own budget: a burst of refreshes does not block logging in. */
function perRouteKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
  return rateLimitKey(throttlerName, tracker, `${context.getClass().name}.${context.getHandler().name}`);
}

/**
 * Three throttlers: the general per-client limit on every route, and on credential routes
 * (`@AuthRateLimit(kind)`) a per-address limit on registration and a strict per-account limit
 * (email, session, user). Failed logins are counted by LoginFailureLimitInterceptor instead.
 */
export function createThrottlerOptions(config: AppConfig, storage: ThrottlerStorage): ThrottlerModuleOptions {
  return {
    storage,
    throttlers: [
      {
        name: GENERAL_THROTTLER,
        ttl: config.rateLimitTtlMs,
        limit: config.rateLimitMax,
        getTracker: (request) => clientTracker(request as TrackedRequest),
        // One budget per client across all routes.
        generateKey: (_context, tracker, throttlerName) => rateLimitKey(throttlerName, tracker),
      },
      {
        name: AUTH_IP_THROTTLER,
        ttl: config.authRateLimitTtlMs,
        limit: config.authRegisterIpMax,
        skipIf: (context) => !PER_ADDRESS_KINDS.has(authRateLimitKind(context)),
        getTracker: (request) => ipTracker(request as TrackedRequest),
        generateKey: perRouteKey,
        setHeaders: false,
      },
      {
        name: AUTH_ACCOUNT_THROTTLER,
        ttl: config.authRateLimitTtlMs,
        limit: config.authRateLimitMax,
        skipIf: skipsAccountLimit,
        getTracker: (request) => accountTracker(request as TrackedRequest),
        generateKey: perRouteKey,
        setHeaders: false,
      },
    ],
  };
}
