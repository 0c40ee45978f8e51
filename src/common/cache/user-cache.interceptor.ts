import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, mergeMap, type Observable, of } from 'rxjs';
import type { AuthUser } from '../../auth/auth-user';
import { etagOf } from '../http/etag';
import { UserCacheService } from './user-cache.service';

/**
 * The request part of a cache key: method, path and the query with its parameters sorted (so
 * `?a=1&b=2` and `?b=2&a=1` share an entry). Headers never take part: a client cannot forge its
 * way into another entry, and the user id comes from the verified token only.
 */
export function requestCacheKey(method: string, url: string): string {
  const parsed = new URL(url, 'http://local');
  const params = [...parsed.searchParams.entries()].sort(([a, av], [b, bv]) => (a === b ? av.localeCompare(bv) : a.localeCompare(b)));
  return `${method} ${parsed.pathname}?${new URLSearchParams(params).toString()}`;
}

/**
 * Serves a GET from the caller's own cache entries when they are current; otherwise runs the
 * handler and stores its 200 response. Apply with `@UserCached()`.
 */
export interface UserCachedOptions {
  /**
   * Query parameters that make a request read another user's data (an admin's `ownerId`): such
   * requests are never cached, because the caller's invalidations do not cover that data.
   */
  bypassWhenQueryHas?: string[];
}

export const USER_CACHED_OPTIONS = 'taskwright:userCachedOptions';
export const UserCachedOptionsMetadata = (options: UserCachedOptions) => SetMetadata(USER_CACHED_OPTIONS, options);

@Injectable()
export class UserCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly cache: UserCacheService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const user = request.user;
    if (request.method !== 'GET' || !user || !this.cache.enabled) return next.handle();
    const options = this.reflector.get<UserCachedOptions | undefined>(USER_CACHED_OPTIONS, context.getHandler());
    const query = (request.query ?? {}) as Record<string, unknown>;
    if (options?.bypassWhenQueryHas?.some((name) => query[name] !== undefined)) return next.handle();
    return from(this.cache.lookup(user.id, requestCacheKey(request.method, request.url))).pipe(
      mergeMap((lookup) => {
        if (lookup.hit && lookup.etag !== undefined) {
          reply.header('etag', lookup.etag);
          return of(lookup.body);
        }
        return next.handle().pipe(
          mergeMap((body: unknown) => {
            if (reply.statusCode === 200) {
              const header = reply.getHeader('etag');
              const etag = typeof header === 'string' ? header : etagOf(body);
              reply.header('etag', etag);
              lookup.store(body, etag);
            }
            return of(body);
          }),
        );
      }),
    );
  }
}
