import type { NestFastifyApplication } from '@nestjs/platform-fastify';

type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

/** What a browser app may send: the credentials, the body type and the conditional and retry headers. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'X-Request-Id', 'Refresh-Token-Transport'];

/** The response headers a browser app reads; the CORS-safelisted ones (Content-Type, ...) need no listing. */
const EXPOSED_HEADERS = [
  'ETag',
  'Location',
  'Retry-After',
  'X-Request-Id',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Idempotent-Replayed',
  'WWW-Authenticate',
];

/**
 * Cross-origin access for the web apps of the allow-list (CORS_ORIGINS), or none: @fastify/cors
 * through Nest's `enableCors`, which answers preflights before the guards run and puts the headers
 * on every response, problem+json errors included, so a web app can read why a call failed.
 * Credentials mode is on for cookie mode's refresh cookie (src/auth/refresh-cookie.ts); it is safe
 * because only the exact origins of the list are answered, never `*`.
 */
export function corsOptions(config: { corsOrigins: string[]; corsMaxAgeSeconds: number }): CorsOptions | undefined {
  if (config.corsOrigins.length === 0) return undefined;
  return {
    origin: config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: true,
    maxAge: config.corsMaxAgeSeconds,
    strictPreflight: true,
  };
}
