import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from './dependency-errors';
import type { ProblemDetailsDto } from './problem-details.dto';
import { type FieldError, ProblemException } from './problem.exception';

const PROBLEM_TYPE_BASE = 'https://taskwright.dev/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Seconds a client should wait after a 503 for an unavailable dependency: outages last seconds, not milliseconds. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

export interface Mapped {
  status: number;
  type: string;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** Errors raised by Fastify itself (body parsing, limits) carry a code and a status. */
function fastifyError(error: unknown): { code: string; statusCode: number } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number') {
    return { code, statusCode };
  }
  return undefined;
}

const FASTIFY_PROBLEMS: Record<string, { type: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { type: 'payload-too-large', detail: 'The request body is larger than the limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    type: 'unsupported-media-type',
    detail: 'Send the request body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { type: 'bad-request', detail: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { type: 'malformed-json', detail: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { type: 'malformed-json', detail: 'The request body is not valid JSON' },
  FST_ERR_BAD_URL: { type: 'bad-url', detail: 'The URL is not valid: a percent-encoded sequence is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: { type: 'uri-too-long', detail: 'A path segment is longer than the limit' },
};

function slug(status: number): string {
  // Stryker disable next-line Regex: no HTTP reason phrase has two separators in a row, so one dash per separator is the same slug
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export function mapError(error: unknown): Mapped {
  // Nest's FastifyAdapter wraps Fastify's own 4xx errors (body parsing, limits) in an
  // HttpException and keeps the original as `cause`: map the original.
  if (error instanceof HttpException && fastifyError(error.cause)) return mapError(error.cause);
  if (error instanceof ProblemException) {
    return {
      status: error.getStatus(),
      type: error.problemType,
      detail: error.message,
      errors: error.errors,
      headers: error.headers,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    let detail = error.message;
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const message = (response as { message: unknown }).message;
      detail = Array.isArray(message) ? message.join('; ') : String(message);
    }
    if (status === 404 && /^Cannot [A-Z]+ /.test(detail)) detail = 'No route matches this method and path';
    return { status, type: slug(status), detail };
  }
  const fastify = fastifyError(error);
  if (fastify) {
    const known = FASTIFY_PROBLEMS[fastify.code];
    if (known) return { status: fastify.statusCode, ...known };
    if (fastify.statusCode < 500) {
      return { status: fastify.statusCode, type: slug(fastify.statusCode), detail: STATUS_CODES[fastify.statusCode] ?? 'Bad request' };
    }
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      type: 'dependency-unavailable',
      detail: 'The database is unavailable; retry after Retry-After seconds',
      headers: { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
    };
  }
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return { status: 400, type: 'malformed-json', detail: 'The request body is not valid JSON' };
  }
  return { status: 500, type: 'internal-error', detail: 'An unexpected error occurred; quote the requestId when reporting it' };
}

/** The RFC 9457 body of a mapped error; `instance` is the request path without its query. */
export function problemBody(mapped: Mapped, instance: string, requestId: string): ProblemDetailsDto {
  return {
    type: PROBLEM_TYPE_BASE + mapped.type,
    title: STATUS_CODES[mapped.status] ?? 'Error',
    status: mapped.status,
    detail: mapped.detail,
    instance,
    requestId,
    ...(mapped.errors ? { errors: mapped.errors } : {}),
  };
}

/** The one place where every error becomes RFC 9457 application/problem+json. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const mapped = mapError(error);
    if (mapped.type === 'dependency-unavailable') {
      // Expected during an outage, one per request: no stack trace.
      this.logger.warn({ requestId: request.id, path: request.url, reason: error instanceof Error ? error.message : String(error) }, 'dependency unavailable');
    } else if (mapped.status >= 500) {
      this.logger.error({ err: error, requestId: request.id, path: request.url }, 'unhandled error');
    }
    const body = problemBody(mapped, request.url.split('?')[0] ?? request.url, String(request.id));
    if (reply.sent) return;
    for (const [name, value] of Object.entries(mapped.headers ?? {})) reply.header(name, value);
    reply.status(mapped.status).header('content-type', PROBLEM_CONTENT_TYPE).header('cache-control', 'no-store').send(body);
  }
}
