import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ProblemDetailsDto } from '../problem/problem-details.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed or invalid input; `errors` lists every bad field',
  401: 'Missing, invalid, expired or revoked access token',
  403: 'Authenticated, but not allowed',
  404: 'Absent, or not yours',
  409: 'Conflict with the current state',
  412: 'The If-Match precondition failed: the resource changed since you read it',
  413: 'The request body is larger than 100 KiB',
  415: 'The request body is not application/json',
  429: 'Too many requests: wait for Retry-After seconds',
  500: 'A bug on our side, logged with the requestId',
  503: 'A dependency (the database) is unavailable or did not answer in time: retry after Retry-After seconds',
};

/** One example per status, each a problem this service really sends (type, detail, fields). */
const EXAMPLES: Record<number, { type: string; detail: string; instance: string; errors?: Array<{ field: string; message: string }> }> = {
  400: {
    type: 'validation-failed',
    detail: 'The request is invalid: see errors',
    instance: '/v1/tasks',
    errors: [{ field: 'title', message: 'title must be longer than or equal to 1 characters' }],
  },
  401: { type: 'token-expired', detail: 'The access token has expired; get a new one from POST /v1/auth/refresh', instance: '/v1/tasks' },
  403: { type: 'forbidden', detail: 'This route is for the admin role only', instance: '/v1/users' },
  404: { type: 'not-found', detail: 'No task with this id', instance: '/v1/tasks/0193a1f0-7b8c-7def-8123-456789abcdef' },
  409: { type: 'email-taken', detail: 'An account with this email already exists', instance: '/v1/auth/register' },
  412: {
    type: 'precondition-failed',
    detail: 'The task changed since you read it (If-Match does not name its current ETag); nothing was changed. GET it again and retry.',
    instance: '/v1/tasks/0193a1f0-7b8c-7def-8123-456789abcdef',
  },
  413: { type: 'payload-too-large', detail: 'The request body is larger than the limit', instance: '/v1/tasks' },
  415: { type: 'unsupported-media-type', detail: 'The request body must be application/json', instance: '/v1/tasks' },
  429: { type: 'rate-limited', detail: 'Too many requests: retry in 12 s', instance: '/v1/auth/login' },
  500: { type: 'internal-error', detail: 'An unexpected error occurred; quote the requestId when reporting it', instance: '/v1/tasks' },
  503: { type: 'dependency-unavailable', detail: 'The database is unavailable; retry after Retry-After seconds', instance: '/v1/tasks' },
};

type ProblemExample = { type: string; detail: string; instance: string; errors?: Array<{ field: string; message: string }> };

/** The example problem+json body of a status (a generic one for a status without its own), or of `own`. */
export function problemExample(status: number, own?: ProblemExample): Record<string, unknown> {
  const example = own ??
    EXAMPLES[status] ?? {
      type: (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      detail: STATUS_CODES[status],
      instance: '/v1/tasks',
    };
  return {
    type: `https://taskwright.dev/problems/${example.type}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: example.detail,
    instance: example.instance,
    requestId: '0193a1f0-7b8c-7def-8123-456789abcdef',
    ...(example.errors ? { errors: example.errors } : {}),
  };
}

export function problemResponse(status: number, description?: string, example?: ProblemExample): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description: description ?? DESCRIPTIONS[status] ?? STATUS_CODES[status],
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) }, example: problemExample(status, example) } },
    ...(status === 429 || status === 503
      ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } } }
      : {}),
  });
}

/** Documents the problem+json responses a route can give, besides the ones every route can give. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiExtraModels(ProblemDetailsDto), ...statuses.map((status) => problemResponse(status)));
}

/**
 * One problem response of a route that says more than the generic one: which problem types it
 * sends, and an example of one of them.
 */
export function ApiProblem(status: number, description: string, example: ProblemExample): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiExtraModels(ProblemDetailsDto), problemResponse(status, description, example));
}

/** On every controller whose routes reach PostgreSQL (authentication included): 503 when it is unavailable. */
export const ApiDatabaseProblems = (): ClassDecorator => ApiProblems(503);

/** Added to every operation: an unexpected error can happen anywhere. */
export const UNIVERSAL_PROBLEM_STATUSES = [500];
/** Added to every operation that accepts a JSON body. */
export const BODY_PROBLEM_STATUSES = [400, 413, 415];

/**
 * On routes that exist to send mail or spend a mailed token: their 503 covers the database and a
 * deployment that sends no mail (production without SMTP_URL).
 */
export const ApiMailProblems = (): MethodDecorator =>
  ApiProblem(
    503,
    'The database is unavailable (`dependency-unavailable`), or this deployment sends no mail (`mail-unavailable`): retry after Retry-After seconds',
    {
      type: 'mail-unavailable',
      detail: 'This service is not configured to send mail; recovery by mail is unavailable',
      instance: '/v1/auth/password/forgot',
    },
  );

/** The 400 of a route that spends a mailed token. */
export const ApiInvalidTokenProblem = (instance: string): MethodDecorator =>
  ApiProblem(400, 'Malformed input (`validation-failed`), or a token that is unknown, used, expired or superseded by a newer one (`invalid-token`)', {
    type: 'invalid-token',
    detail: 'This link is invalid or has expired; ask for a new one',
    instance,
  });
