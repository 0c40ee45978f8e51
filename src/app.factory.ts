import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module';
import { applyRouteBodyLimits } from './common/http/body-limit';
import { registerJsonBodyParser } from './common/http/json-body';
import { corsOptions } from './common/http/cors';
import { answerFrameworkError, clientErrorHandler } from './common/http/protocol-errors';
import { requestIdFrom } from './common/http/request-id';
import { fastifyTrustProxy } from './common/http/trust-proxy';
import { buildOpenApiDocument, serveOpenApi } from './common/openapi/openapi';
import { ProblemDetailsFilter } from './common/problem/problem-details.filter';
import { createValidationPipe } from './common/problem/validation';
import { runPendingMigrations } from './database/database';
import { carryRefreshCookie } from './auth/refresh-cookie';
import { MetricsService } from './metrics/metrics.service';

/**
 * Builds the application exactly as production runs it; `main.ts` and the end-to-end tests both
 * use this, so the tests exercise the real adapter, pipes, filters and document.
 */
export async function createApp(options: AppModuleOptions): Promise<NestFastifyApplication> {
  const { config, logger } = options;
  await runPendingMigrations(config, options.databaseUrl);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    genReqId: requestIdFrom,
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: clientErrorHandler(logger),
    // Slow clients (a body trickled a byte at a time) are cut with 408 instead of holding a
    // connection for minutes; Node checks both timeouts every connectionsCheckingInterval.
    requestTimeout: config.httpRequestTimeoutMs,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs,
    http: { headersTimeout: config.httpHeadersTimeoutMs, connectionsCheckingInterval: config.httpConnectionsCheckIntervalMs },
  });
  adapter.getInstance().server.maxConnections = config.httpMaxConnections;
  // Nest's own parsers would accept forms (application/x-www-form-urlencoded) on every route:
  // registerJsonBodyParser below is the only one.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(options), adapter, {
    bufferLogs: true,
    abortOnError: false,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  const cors = corsOptions(config);
  if (cors !== undefined) app.enableCors(cors);

  const fastify = app.getHttpAdapter().getInstance();
  // This API takes JSON only (anything else is 415), nested no deeper than it needs.
  registerJsonBodyParser(fastify);
  applyRouteBodyLimits(fastify, config.bodyLimitBytes);
  carryRefreshCookie(fastify);
  // Callback-style hooks: an async hook costs a promise per request, and these never wait.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  const metrics = app.get(MetricsService);
  // The request line holds only these fixed fields (never a header, a body or a query string), so
  // it skips the wildcard redaction every other line gets: that walks each key of a line for
  // seven patterns, a profiled 5 µs per request.
  const requestLog = logger.child({}, { redact: [] });
  fastify.addHook('onResponse', (request, reply, done) => {
    try {
      const line = {
        requestId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? '(unmatched)',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      };
      if (reply.statusCode >= 500) requestLog.error(line, 'request');
      else requestLog.info(line, 'request');
      metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    } finally {
      done();
    }
  });

  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  if (config.docsEnabled) serveOpenApi(app, buildOpenApiDocument(app));
  await app.init();
  return app;
}
