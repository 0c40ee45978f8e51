import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { problemResponse } from '../openapi/api-problems.decorator';

/** The route config key Fastify's `onRoute` hook reads (see applyRouteBodyLimits). */
const BODY_LIMIT_KEY = 'bodyLimitBytes';

/**
 * The largest body this route takes, in bytes: larger ones get 413 before a byte is parsed.
 * Sized to the route's DTO with headroom; BODY_LIMIT_BYTES stays the ceiling of every route.
 * Also documents the 413 with the limit.
 */
export function BodyLimit(bytes: number): MethodDecorator {
  return applyDecorators(
    RouteConfig({ [BODY_LIMIT_KEY]: bytes }),
    problemResponse(413, `The request body is larger than ${bytes.toLocaleString('en-US')} bytes (or BODY_LIMIT_BYTES, if smaller)`),
  );
}

/**
 * Nest passes a route's config to Fastify but not its `bodyLimit`: this hook turns the one into
 * the other. Must be added before the routes are registered (before `app.init()`).
 */
export function applyRouteBodyLimits(fastify: FastifyInstance, ceilingBytes: number): void {
  fastify.addHook('onRoute', (route) => {
    const limit: unknown = (route.config as Record<string, unknown> | undefined)?.[BODY_LIMIT_KEY];
    if (typeof limit === 'number') route.bodyLimit = Math.min(limit, ceilingBytes);
  });
}
