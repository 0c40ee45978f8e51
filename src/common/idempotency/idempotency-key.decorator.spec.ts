import { Controller, Module, Post } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ProblemException } from '../problem/problem.exception';
import { ApiIdempotencyKey, IdempotencyKey } from './idempotency-key.decorator';

@Controller('things')
class ThingsController {
  @Post()
  @ApiIdempotencyKey()
  create(@IdempotencyKey() key: string | undefined): unknown {
    return { key };
  }
}

/** The value @IdempotencyKey() hands the handler for a request with these headers. */
function keyOf(headers: Record<string, unknown>): unknown {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, ThingsController, 'create') as Record<
    string,
    { factory: (data: unknown, context: unknown) => unknown }
  >;
  const [argument] = Object.values(args);
  if (argument === undefined) throw new Error('no parameter decorator found');
  return argument.factory(undefined, new ExecutionContextHost([{ headers }]));
}

function refusal(headers: Record<string, unknown>): ProblemException {
  try {
    keyOf(headers);
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a ProblemException');
}

describe('@IdempotencyKey()', () => {
  it('is undefined without the header, and the header itself when it is 1 to 255 visible ASCII characters', () => {
    expect(keyOf({})).toBeUndefined();
    for (const key of ['a', '0193a1f0-7b8c-7def-8123-456789abcdef', '!~', 'k'.repeat(255)]) expect(keyOf({ 'idempotency-key': key })).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['with a space', 'two words'],
    ['with a control character', 'a\u0001b'],
    ['with DEL', 'a\u007fb'],
    ['not ASCII', 'clé'],
    ['with a space first', ' key'],
    ['with a space last', 'key '],
    ['sent twice', ['key-1', 'key-2']],
  ])('refuses a key that is %s with a 400 naming the header', (_what, header) => {
    const problem = refusal({ 'idempotency-key': header });
    expect(problem.getStatus()).toBe(400);
    expect(problem.problemType).toBe('validation-failed');
    expect(problem.errors).toEqual([{ field: 'header.idempotency-key', message: 'Idempotency-Key must be 1 to 255 visible ASCII characters' }]);
  });
});

describe('ApiIdempotencyKey()', () => {
  it('documents the optional header and the 409 of a reused key', async () => {
    @Module({ controllers: [ThingsController] })
    class ThingsModule {}
    const app = await NestFactory.create<NestFastifyApplication>(ThingsModule, new FastifyAdapter(), { logger: false });
    await app.init();
    try {
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      const operation = document.paths['/things']?.post;
      expect(operation?.parameters).toContainEqual({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Makes retries safe: the same key with the same body (from the same user, within 24 h) returns the first response ' +
          'instead of creating again; the same key with a different body is 409. 1 to 255 visible ASCII characters (a UUID is ideal).',
        schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
      });
      expect(operation?.responses['409']).toEqual({
        description: 'The Idempotency-Key was already used with a different body (`idempotency-key-reused`)',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      });
    } finally {
      await app.close();
    }
  });
});
