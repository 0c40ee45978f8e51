import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { mapError } from './problem-details.filter';
import { ValidationProblem } from './problem.exception';
import { flattenValidationErrors } from './validation';

describe('mapError', () => {
  it('keeps the status and field errors of a validation problem', () => {
    const mapped = mapError(new ValidationProblem([{ field: 'email', message: 'email must be an email' }]));
    expect(mapped).toMatchObject({ status: 400, type: 'validation-failed', errors: [{ field: 'email' }] });
  });

  it('maps Fastify body errors to 413, 415 and 400', () => {
    expect(mapError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).status).toBe(413);
    expect(mapError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }).type).toBe('unsupported-media-type');
    expect(mapError({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }).type).toBe('malformed-json');
  });

  it('maps Fastify body errors that Nest wrapped in an HttpException by their original code', () => {
    const wrapped = new HttpException('Body is not valid JSON', 400, { cause: { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 } });
    expect(mapError(wrapped)).toMatchObject({ status: 400, type: 'malformed-json' });
  });

  it("maps the router's refusals of a malformed URL and an over-long parameter to 400 and 414", () => {
    expect(mapError({ code: 'FST_ERR_BAD_URL', statusCode: 400 })).toMatchObject({ status: 400, type: 'bad-url' });
    expect(mapError({ code: 'FST_ERR_MAX_PARAM_LENGTH', statusCode: 414 })).toMatchObject({ status: 414, type: 'uri-too-long' });
  });

  it('hides the internals of unexpected errors', () => {
    const mapped = mapError(new Error('relation "users" does not exist at SELECT * FROM users'));
    expect(mapped.status).toBe(500);
    expect(mapped.detail).not.toMatch(/relation|SELECT/);
  });

  it('maps an unreachable or silent database to 503 dependency-unavailable with Retry-After, without the address', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    for (const error of [refused, new QueryFailedError('SELECT 1', [], new Error('Query read timeout'))]) {
      const mapped = mapError(error);
      expect(mapped).toMatchObject({ status: 503, type: 'dependency-unavailable', headers: { 'retry-after': '5' } });
      expect(mapped.detail).not.toMatch(/10\.1\.2\.3|5432|ECONNREFUSED|SELECT/);
    }
  });

  it('replaces the framework wording of unknown routes', () => {
    expect(mapError(new NotFoundException('Cannot GET /nope')).detail).toBe('No route matches this method and path');
    expect(mapError(new BadRequestException('bad cursor')).detail).toBe('bad cursor');
  });
});

describe('flattenValidationErrors', () => {
  it('lists nested fields with dotted paths and renames unknown-field errors', () => {
    const errors = flattenValidationErrors([
      { property: 'role', constraints: { whitelistValidation: 'property role should not exist' }, children: [] },
      { property: 'tags', children: [{ property: '3', constraints: { maxLength: 'too long' }, children: [] }] },
    ]);
    expect(errors).toEqual([
      { field: 'role', message: 'unknown field role' },
      { field: 'tags.3', message: 'too long' },
    ]);
  });
});
