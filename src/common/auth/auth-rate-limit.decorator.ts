import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';

export const AUTH_RATE_LIMITED = 'taskwright:authRateLimited';
/** The general limit's throttler. Named `default` so that a bare `@SkipThrottle()` (health) skips it. */
export const GENERAL_THROTTLER = 'default';

/**
 * How an operation is rate-limited, for the OpenAPI document (read and removed by
 * common/openapi): `general` (the default: 429, and the X-RateLimit-* headers of the general
 * limit), `strict` (429 from the credential limits, which send no X-RateLimit-* headers) or `none`.
 */
export const RATE_LIMIT_EXTENSION = 'x-taskwright-rate-limit';

/**
 * Which strict limits a credential route gets (AUTH_RATE_LIMIT_MAX per AUTH_RATE_LIMIT_TTL_MS
 * unless said otherwise):
 * - `login`: FAILED logins only, per account (canonical email) and per address
 *   (AUTH_LOGIN_IP_FAILURE_MAX): a success spends nothing, so thousands of people behind one
 *   carrier address can log in, while guessing one account's password stays blocked.
 * - `register`: per email, and per address with its own, larger budget (AUTH_REGISTER_IP_MAX).
 * - `refresh`: per session only. A refresh token cannot be guessed, so an address is never
 *   limited; a malformed token is refused before it costs anything.
 * - `password`: per user (the caller of a password change).
 * - `recovery`: like `register`: per email in the body (a forgotten password), and per address
 *   (AUTH_REGISTER_IP_MAX), so nobody can flood one mailbox or many.
 * - `token`: the routes that spend a mailed token: per caller (user, else address) and per address.
 * - `mail`: authenticated routes that send mail (resend a verification, change the email): per user
 *   and per address.
 */
export type AuthRateLimitKind = 'login' | 'register' | 'refresh' | 'password' | 'recovery' | 'token' | 'mail';

/**
 * Puts a credential route under its strict limits instead of the general one. A marker only: auth
 * reads it (rate-limit.options.ts); the login route adds LoginFailureLimitInterceptor itself,
 * since that counter lives in auth and this marker sits below it.
 */
export const AuthRateLimit = (kind: AuthRateLimitKind): MethodDecorator =>
  applyDecorators(SetMetadata(AUTH_RATE_LIMITED, kind), SkipThrottle({ [GENERAL_THROTTLER]: true }), ApiExtension(RATE_LIMIT_EXTENSION, 'strict'));

/** Outside every rate limit (the probes and the scrape endpoint, which must always answer). */
export const NotRateLimited = (): MethodDecorator & ClassDecorator => applyDecorators(SkipThrottle(), ApiExtension(RATE_LIMIT_EXTENSION, 'none'));
