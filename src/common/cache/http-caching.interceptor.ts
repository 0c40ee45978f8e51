import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable, of } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { etagOfJson, ifNoneMatchMatches } from '../http/etag';
import { JSON_CONTENT_TYPE, SerializedJson } from '../http/serialized-json';
import { type CacheLookup, UserCacheService } from './user-cache.service';

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

export interface UserCachedOptions {
  /**
   * Query parameters that make a request read another user's data (an admin's `ownerId`): such
   * requests are never cached, because the caller's invalidations do not cover that data.
   */
  bypassWhenQueryHas?: string[];
}

// Stryker disable next-line StringLiteral: any key works that the decorator and the interceptor share
const USER_CACHED_OPTIONS = 'taskwright:userCachedOptions';
/** Marks a GET handler whose 200 responses are cached per user (see `@UserCached()`). */
export const UserCachedOptionsMetadata = (options: UserCachedOptions) => SetMetadata(USER_CACHED_OPTIONS, options);

/**
 * HTTP caching for every authenticated GET, registered globally (so it is the outermost
 * interceptor), in one layer:
 *
 * - On a `@UserCached()` route, the caller's own cache entry answers when it is current (a hit
 *   skips validation, the handler and PostgreSQL); otherwise the handler runs and its 200
 *   response is stored for that user (UserCacheService: per-user generations, so any write by
 *   the user makes every entry stale at once, on every instance).
 * - Every 200 gets `Cache-Control: private, no-cache` and an ETag (the handler's if it set one,
 *   e.g. a task's version, else a hash of the JSON sent), and a 304 with no body when the
 *   client's If-None-Match already names it.
 * - A body is serialised once: the cache stores the JSON text it sends and the ETag is a hash of
 *   that same text; the reply carries the text as is (SerializedJson).
 */
@Injectable()
export class HttpCachingInterceptor implements NestInterceptor {
  constructor(
    private readonly cache: UserCacheService,
    private readonly reflector: Reflector,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: AuthUser }>();
    const reply = http.getResponse<FastifyReply>();
    const user = request.user;
    if (request.method !== 'GET' || !user) return next.handle();
    const lookup = await this.lookup(context, request, user);
    if (lookup?.hit) return of(this.respond(request, reply, new SerializedJson(lookup.json), lookup.etag));
    return next.handle().pipe(
      map((body: unknown) => {
        if (reply.statusCode !== 200 || body === undefined) {
          return body instanceof SerializedJson ? this.send(reply, body) : body;
        }
        let serialized = body instanceof SerializedJson ? body : undefined;
        const header = reply.getHeader('etag');
        let etag: string;
        if (typeof header === 'string') {
          etag = header;
        } else {
          serialized ??= SerializedJson.of(body);
          etag = etagOfJson(serialized.json);
        }
        if (lookup) {
          serialized ??= SerializedJson.of(body);
          lookup.store(serialized.json, etag);
        }
        return this.respond(request, reply, serialized ?? body, etag);
      }),
    );
  }

  /** The caller's cache entry for this request, when the route is cached and the cache is on. */
  private async lookup(context: ExecutionContext, request: FastifyRequest, user: AuthUser): Promise<CacheLookup | undefined> {
    // Stryker disable next-line ConditionalExpression: with the cache off, UserCacheService.lookup answers a miss that stores nothing; this only saves the call
    if (!this.cache.enabled) return undefined;
    const options = this.reflector.get<UserCachedOptions | undefined>(USER_CACHED_OPTIONS, context.getHandler());
    if (options === undefined) return undefined;
    if (options.bypassWhenQueryHas !== undefined) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      if (options.bypassWhenQueryHas.some((name) => query[name] !== undefined)) return undefined;
    }
    return this.cache.lookup(user.id, requestCacheKey(request.method, request.url));
  }

  /** Headers of a 200 with this ETag; a 304 with no body if the client already has it. */
  private respond(request: FastifyRequest, reply: FastifyReply, body: unknown, etag: string): unknown {
    reply.header('cache-control', 'private, no-cache');
    reply.header('etag', etag);
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      reply.status(304);
      return undefined;
    }
    return body instanceof SerializedJson ? this.send(reply, body) : body;
  }

  /** The JSON text as the payload, typed as JSON: Fastify sends a string like that as it is. */
  private send(reply: FastifyReply, body: SerializedJson): string {
    reply.header('content-type', JSON_CONTENT_TYPE);
    return body.json;
  }
}
