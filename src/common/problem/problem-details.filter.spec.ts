import { BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { QueryFailedError } from 'typeorm';
import { mapError, PROBLEM_CONTENT_TYPE, problemBody, ProblemDetailsFilter } from './problem-details.filter';
import { ProblemException, ValidationProblem } from './problem.exception';
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

describe('mapError, every mapping a client relies on', () => {
  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'payload-too-large', 'The request body is larger than the limit'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'unsupported-media-type', 'Send the request body as application/json'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'bad-request', 'Content-Length does not match the body'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'malformed-json', 'The JSON body is empty'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'malformed-json', 'The request body is not valid JSON'],
    ['FST_ERR_BAD_URL', 400, 'bad-url', 'The URL is not valid: a percent-encoded sequence is malformed'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 'uri-too-long', 'A path segment is longer than the limit'],
    ['FST_ERR_SOMETHING_NEW', 404, 'not-found', 'Not Found'],
    ['FST_ERR_SOMETHING_NEW', 418, 'i-m-a-teapot', "I'm a Teapot"],
    ['FST_ERR_SOMETHING_NEW', 499, 'error', 'Bad request'],
  ])('maps Fastify’s %s (%i) to its own problem', (code, statusCode, type, detail) => {
    expect(mapError({ code, statusCode })).toEqual({ status: statusCode, type, detail });
  });

  it.each([
    ['an unknown Fastify code at 500', { code: 'FST_ERR_SOMETHING_NEW', statusCode: 500 }],
    ['a code that is not Fastify’s', { code: 'XFST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }],
    ['a status that is not a number', { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: '413' }],
    ['a code that is not a string', { code: 413, statusCode: 413 }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'FST_ERR_CTP_BODY_TOO_LARGE'],
    ['a SyntaxError without a status', new SyntaxError('Unexpected token')],
    ['an Error with status 400 that is no SyntaxError', Object.assign(new Error('x'), { statusCode: 400 })],
  ])('answers %s with the opaque 500', (_what, error) => {
    expect(mapError(error)).toEqual({
      status: 500,
      type: 'internal-error',
      detail: 'An unexpected error occurred; quote the requestId when reporting it',
    });
  });

  it('maps a body-parser SyntaxError with status 400 to malformed-json', () => {
    const error = Object.assign(new SyntaxError('Unexpected token } in JSON'), { statusCode: 400 });
    expect(mapError(error)).toEqual({ status: 400, type: 'malformed-json', detail: 'The request body is not valid JSON' });
  });

  it('keeps everything a ProblemException carries, headers included', () => {
    const problem = new ProblemException(429, 'rate-limited', 'Too many requests: retry in 3 s', [{ field: 'x', message: 'y' }], { 'Retry-After': '3' });
    expect(mapError(problem)).toEqual({
      status: 429,
      type: 'rate-limited',
      detail: 'Too many requests: retry in 3 s',
      errors: [{ field: 'x', message: 'y' }],
      headers: { 'Retry-After': '3' },
    });
  });

  it('maps other HttpExceptions by status, with their message as the detail', () => {
    expect(mapError(new BadRequestException(['title is too long', 'tags must be unique']))).toEqual({
      status: 400,
      type: 'bad-request',
      detail: 'title is too long; tags must be unique',
    });
    expect(mapError(new HttpException({ message: 42 }, 409))).toEqual({ status: 409, type: 'conflict', detail: '42' });
    const noMessage = new HttpException({ reason: 'x' }, 403);
    expect(mapError(noMessage)).toEqual({ status: 403, type: 'forbidden', detail: noMessage.message });
    expect(mapError(new HttpException('Gone for good', 410))).toEqual({ status: 410, type: 'gone', detail: 'Gone for good' });
    expect(mapError(new HttpException('x', 599)).type).toBe('error');
    const notFastify = new HttpException('Bad thing', 400, { cause: new Error('inner') });
    expect(mapError(notFastify)).toEqual({ status: 400, type: 'bad-request', detail: 'Bad thing' });
    // A response of null (possible from any library's HttpException) keeps the exception's own message.
    const nullResponse = new HttpException(null as unknown as string, 418);
    expect(mapError(nullResponse)).toEqual({ status: 418, type: 'i-m-a-teapot', detail: nullResponse.message });
  });

  it('rewrites only the router’s own "Cannot METHOD /path" 404', () => {
    expect(mapError(new NotFoundException('Cannot DELETE /v1/nope')).detail).toBe('No route matches this method and path');
    expect(mapError(new NotFoundException('Task 7: Cannot GET /x')).detail).toBe('Task 7: Cannot GET /x');
    expect(mapError(new NotFoundException('Cannot get /x')).detail).toBe('Cannot get /x');
    expect(mapError(new NotFoundException('Cannot GET')).detail).toBe('Cannot GET');
    expect(mapError(new BadRequestException('Cannot GET /x')).detail).toBe('Cannot GET /x');
  });

  it('gives 503 the dependency problem with Retry-After: 5 (outages last seconds)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    expect(mapError(refused)).toEqual({
      status: 503,
      type: 'dependency-unavailable',
      detail: 'The database is unavailable; retry after Retry-After seconds',
      headers: { 'retry-after': '5' },
    });
  });
});

describe('problemBody', () => {
  it('is the RFC 9457 body, with field errors only when there are some', () => {
    expect(problemBody({ status: 404, type: 'not-found', detail: 'No such task' }, '/v1/tasks/1', 'req-1')).toStrictEqual({
      type: `https://taskwright.dev/problems/not-found`,
      title: 'Not Found',
      status: 404,
      detail: 'No such task',
      instance: '/v1/tasks/1',
      requestId: 'req-1',
    });
    expect(problemBody({ status: 400, type: 'validation-failed', detail: 'd', errors: [{ field: 'f', message: 'm' }] }, '/x', 'r')).toMatchObject({
      title: 'Bad Request',
      errors: [{ field: 'f', message: 'm' }],
    });
    expect(problemBody({ status: 599, type: 't', detail: 'd' }, '/x', 'r').title).toBe('Error');
  });
});

describe('ProblemDetailsFilter', () => {
  interface SentReply {
    statusCode?: number;
    headers: Record<string, string>;
    body?: unknown;
  }

  function hostFor(url: string, sent = false): { host: ExecutionContextHost; reply: SentReply & { sends: number } } {
    const reply = {
      sent,
      sends: 0,
      headers: {} as Record<string, string>,
      statusCode: undefined as number | undefined,
      body: undefined as unknown,
      header(name: string, value: string) {
        this.headers[name.toLowerCase()] = value;
        return this;
      },
      status(code: number) {
        this.statusCode = code;
        return this;
      },
      send(body: unknown) {
        this.sends += 1;
        this.body = body;
        return this;
      },
    };
    return { host: new ExecutionContextHost([{ id: 'req-42', url }, reply]), reply };
  }

  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('sends application/problem+json, never cached, with the mapped headers and the path as instance', () => {
    const { host, reply } = hostFor('/v1/auth/login?next=/home');
    new ProblemDetailsFilter().catch(new ProblemException(429, 'rate-limited', 'slow down', undefined, { 'Retry-After': '7' }), host);
    expect(reply.statusCode).toBe(429);
    expect(reply.headers).toEqual({ 'retry-after': '7', 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' });
    expect(reply.body).toEqual({
      type: `https://taskwright.dev/problems/rate-limited`,
      title: 'Too Many Requests',
      status: 429,
      detail: 'slow down',
      instance: '/v1/auth/login',
      requestId: 'req-42',
    });
    expect(PROBLEM_CONTENT_TYPE).toBe('application/problem+json');
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('logs an unexpected error with its stack, and an unavailable database as a one-line warning', () => {
    const boom = new Error('boom');
    const first = hostFor('/v1/tasks?x=1');
    new ProblemDetailsFilter().catch(boom, first.host);
    expect(first.reply.statusCode).toBe(500);
    expect(error).toHaveBeenCalledWith({ err: boom, requestId: 'req-42', path: '/v1/tasks?x=1' }, 'unhandled error');
    // Under its own context, which operators filter the logs by.
    expect((error.mock.contexts[0] as { context?: string }).context).toBe('ProblemDetails');

    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    const second = hostFor('/v1/tasks');
    new ProblemDetailsFilter().catch(refused, second.host);
    expect(second.reply.statusCode).toBe(503);
    expect(second.reply.headers['retry-after']).toBe('5');
    expect(warn).toHaveBeenCalledWith({ requestId: 'req-42', path: '/v1/tasks', reason: 'connect ECONNREFUSED 10.1.2.3:5432' }, 'dependency unavailable');
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('logs every 5xx HttpException, and no 4xx', () => {
    new ProblemDetailsFilter().catch(new HttpException('upstream down', 502), hostFor('/a').host);
    expect(error).toHaveBeenCalledTimes(1);
    new ProblemDetailsFilter().catch(new HttpException('nope', 499), hostFor('/a').host);
    expect(error).toHaveBeenCalledTimes(1);
    expect(warn).not.toHaveBeenCalled();
  });

  it('does not answer twice when a reply was already sent', () => {
    const { host, reply } = hostFor('/a', true);
    new ProblemDetailsFilter().catch(new NotFoundException('x'), host);
    expect(reply.sends).toBe(0);
    expect(reply.statusCode).toBeUndefined();
  });
});
