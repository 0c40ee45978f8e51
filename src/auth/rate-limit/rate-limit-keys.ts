import { createHash } from 'node:crypto';
import { normalizeIp } from '@nestjs/throttler';
import type { AuthUser } from '../../common/auth/auth-user';
import { canonicalEmail } from '../../users/canonical-email';
import { parseRefreshToken } from '../../sessions/refresh-token';

/** The named throttlers of the credential routes (GENERAL_THROTTLER is the general limit). */
export const AUTH_IP_THROTTLER = 'auth-ip';
export const AUTH_ACCOUNT_THROTTLER = 'auth-account';

/** The part of a request the trackers read; Fastify's request has it, and JwtAuthGuard set `user`. */
export interface TrackedRequest {
  ip: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  user?: AuthUser;
}

export function ipTracker(request: TrackedRequest): string {
  return `ip:${normalizeIp(request.ip)}`;
}

/**
 * The general limit's client: the user JwtAuthGuard authenticated (it runs first), else the IP
 * address, so a forged token cannot spend a user's budget.
 */
export function clientTracker(request: TrackedRequest): string {
  return request.user ? `user:${request.user.id}` : ipTracker(request);
}

/**
 * The account a credential request is about, so guessing one account's password from many
 * addresses still hits a limit: the email in the body (canonicalEmail, as accounts are matched), the
 * session of a refresh token, or the caller of a password change; the IP when there is none.
 * Runs before validation, so the body may hold anything.
 */
export function accountTracker(request: TrackedRequest): string {
  const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
  if (typeof body.email === 'string' && body.email.trim() !== '') return `email:${canonicalEmail(body.email)}`;
  const sessionId = refreshSessionOf(request);
  if (sessionId !== undefined) return `session:${sessionId}`;
  return clientTracker(request);
}

/** The session a refresh request names, if its token is well formed. */
export function refreshSessionOf(request: TrackedRequest): string | undefined {
  const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
  return typeof body.refreshToken === 'string' ? parseRefreshToken(body.refreshToken)?.sessionId : undefined;
}

/**
 * The storage key of a counter. Trackers are hashed so emails never sit in Redis in clear and keys
 * stay short whatever a client sends. `scope` separates routes that have their own budget.
 */
export function rateLimitKey(throttlerName: string, tracker: string, scope?: string): string {
  const digest = createHash('sha256').update(tracker).digest('base64url');
  return scope === undefined ? `${throttlerName}:${digest}` : `${throttlerName}:${scope}:${digest}`;
}
