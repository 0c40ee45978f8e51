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

export function problemResponse(status: number, description?: string): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description: description ?? DESCRIPTIONS[status] ?? STATUS_CODES[status],
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } },
    ...(status === 429 || status === 503
      ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } } }
      : {}),
  });
}

/** Documents the problem+json responses a route can give, besides the ones every route can give. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiExtraModels(ProblemDetailsDto), ...statuses.map((status) => problemResponse(status)));
}

/** On every controller whose routes reach PostgreSQL (authentication included): 503 when it is unavailable. */
export const ApiDatabaseProblems = (): ClassDecorator => ApiProblems(503);

/** Added to every operation: a rate limit and an unexpected error can happen anywhere. */
export const UNIVERSAL_PROBLEM_STATUSES = [429, 500];
/** Added to every operation that accepts a JSON body. */
export const BODY_PROBLEM_STATUSES = [400, 413, 415];
