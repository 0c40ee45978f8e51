import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { etagOf, ifNoneMatchMatches } from './etag';

/**
 * For every successful GET of user data: `Cache-Control: private, no-cache`, an ETag (the
 * handler's or the cache's if set, else one over the body), and 304 with no body when the
 * client's If-None-Match already names it. Registered globally.
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
        if (reply.statusCode !== 200) return body;
        reply.header('cache-control', 'private, no-cache');
        const header = reply.getHeader('etag');
        const etag = typeof header === 'string' ? header : etagOf(body);
        reply.header('etag', etag);
        if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
          reply.status(304);
          return undefined;
        }
        return body;
      }),
    );
  }
}
