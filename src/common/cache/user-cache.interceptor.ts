import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable, of } from 'rxjs';
import type { AuthUser } from '../../auth/auth-user';
import { etagOfJson } from '../http/etag';
import { SerializedJson } from '../http/serialized-json';
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

  /**
   * A hit answers with the stored JSON text and its ETag; a miss runs the handler, serialises its
   * 200 body once, stores that text with its ETag (the handler's, else a hash of the text) and
   * passes the same text on, so HttpCacheHeadersInterceptor neither serialises nor hashes again.
   */
  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const user = request.user;
    if (request.method !== 'GET' || !user || !this.cache.enabled) return next.handle();
    const options = this.reflector.get<UserCachedOptions | undefined>(USER_CACHED_OPTIONS, context.getHandler());
    if (options?.bypassWhenQueryHas !== undefined) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      if (options.bypassWhenQueryHas.some((name) => query[name] !== undefined)) return next.handle();
    }
    const lookup = await this.cache.lookup(user.id, requestCacheKey(request.method, request.url));
    if (lookup.hit) {
      reply.header('etag', lookup.etag);
      return of(new SerializedJson(lookup.json));
    }
    return next.handle().pipe(
      map((body: unknown) => {
        if (reply.statusCode !== 200 || body === undefined) return body;
        const serialized = body instanceof SerializedJson ? body : SerializedJson.of(body);
        const header = reply.getHeader('etag');
        const etag = typeof header === 'string' ? header : etagOfJson(serialized.json);
        reply.header('etag', etag);
        lookup.store(serialized.json, etag);
        return serialized;
      }),
    );
  }
}
