import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { etagOfJson, ifNoneMatchMatches } from './etag';
import { JSON_CONTENT_TYPE, SerializedJson } from './serialized-json';

/** The payload Fastify sends as it is: the JSON text, typed as JSON. */
function sendAsIs(reply: FastifyReply, serialized: SerializedJson): string {
  reply.header('content-type', JSON_CONTENT_TYPE);
  return serialized.json;
}

/**
 * For every successful GET of user data: `Cache-Control: private, no-cache`, an ETag (the
 * handler's or the cache's if set, else one over the body), and 304 with no body when the
 * client's If-None-Match already names it. Registered globally, so it is the outermost
 * interceptor: it also sends a body the user cache already serialised (SerializedJson) as it is,
 * and serialises any other body it has to hash once, sending that same text.
 */
@Injectable()
export class HttpCacheHeadersInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: unknown }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (request.method !== 'GET' || !request.user) return next.handle();
    return next.handle().pipe(
      map((body: unknown) => {
        let serialized = body instanceof SerializedJson ? body : undefined;
        if (reply.statusCode !== 200 || body === undefined) return serialized ? sendAsIs(reply, serialized) : body;
        reply.header('cache-control', 'private, no-cache');
        let etag = reply.getHeader('etag');
        if (typeof etag !== 'string') {
          serialized ??= SerializedJson.of(body);
          etag = etagOfJson(serialized.json);
          reply.header('etag', etag);
        }
        if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
          reply.status(304);
          return undefined;
        }
        return serialized ? sendAsIs(reply, serialized) : body;
      }),
    );
  }
}
