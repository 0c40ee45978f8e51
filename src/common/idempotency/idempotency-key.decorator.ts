import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ProblemDetailsDto } from '../problem/problem-details.dto';
import { ValidationProblem } from '../problem/problem.exception';

/** 1 to 255 visible ASCII characters: a UUID, a ULID or any client-chosen token fits. */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key header, validated: undefined when absent, a 400 problem when
 * present but not 1..255 visible ASCII characters (or sent twice).
 */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const header = context.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !VALID_KEY.test(header)) {
    throw new ValidationProblem([{ field: 'header.idempotency-key', message: 'Idempotency-Key must be 1 to 255 visible ASCII characters' }]);
  }
  return header;
});

/** Documents the Idempotency-Key header and the 409 a reused key gives. */
export const ApiIdempotencyKey = (): MethodDecorator =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Makes retries safe: the same key with the same body (from the same user, within 24 h) returns the first response ' +
        'instead of creating again; the same key with a different body is 409. 1 to 255 visible ASCII characters (a UUID is ideal).',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    }),
    ApiResponse({
      status: 409,
      description: 'The Idempotency-Key was already used with a different body (`idempotency-key-reused`)',
      content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } },
    }),
  );
