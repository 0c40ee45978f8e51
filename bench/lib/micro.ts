import { createHash, createHmac, createSecretKey } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ArgumentMetadata } from '@nestjs/common';
import pino from 'pino';
import { etagOfJson } from '../../src/common/http/etag';
import { REDACTED_PATHS } from '../../src/common/logging/logger';
import { createValidationPipe } from '../../src/common/problem/validation';
import { CreateTaskDto } from '../../src/tasks/dto/create-task.dto';
import { ListTasksQueryDto } from '../../src/tasks/dto/list-tasks-query.dto';
import type { TaskDto } from '../../src/tasks/dto/task.dto';

const jwt = createRequire(__filename)('jsonwebtoken') as {
  sign(payload: object, secret: string, options: object): string;
  verify(token: string, secret: unknown, options: object): unknown;
};

export interface MicroResult {
  name: string;
  microsPerOp: number;
}

/**
 * Microseconds per call of `fn`: after a warm-up, seven batches of about `ms` / 7 each, and the
 * fastest batch's average (the minimum is what the code costs; slower batches measured the
 * machine's other work). Promises are awaited; synchronous calls are not.
 */
async function measure(name: string, fn: () => unknown, ms = 1400): Promise<MicroResult> {
  const run = async (until: number): Promise<number> => {
    let n = 0;
    while (Date.now() < until) {
      for (let i = 0; i < 50; i += 1) {
        const result = fn();
        if (result instanceof Promise) await result;
      }
      n += 50;
    }
    return n;
  };
  await run(Date.now() + ms / 4);
  let best = Number.POSITIVE_INFINITY;
  for (let batch = 0; batch < 7; batch += 1) {
    const start = process.hrtime.bigint();
    const n = await run(Date.now() + ms / 7);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000 / n);
  }
  return { name, microsPerOp: best };
}

function page(): { data: TaskDto[]; nextCursor: string } {
  const data: TaskDto[] = Array.from({ length: 20 }, (_, i) => ({
    id: `0193a1f0-7b8c-7def-8123-4567890abc${String(i).padStart(2, '0')}`,
    title: 'Quarterly report review budget',
    description: i % 2 === 0 ? null : 'Notes: meeting budget before the release, then audit and deploy',
    status: 'todo',
    priority: 'medium',
    dueAt: '2026-12-01T17:00:00.000Z',
    tags: ['work', 'finance'],
    ownerId: '0193a1f0-7b8c-7def-8123-456789abcdef',
    version: 3,
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-02T10:00:00.000Z',
    completedAt: null,
    access: 'owner',
  }));
  return { data, nextCursor: 'eyJ2IjoxfQ.abc' };
}

/**
 * Small, isolated measurements of costs the profiles point at, so each proposed change comes with
 * a number that does not depend on a noisy machine's throughput (`npm run bench -- --micro`).
 */
export async function runMicro(): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  const secret = 'x'.repeat(48);
  const token = jwt.sign({ role: 'user', sid: '0193a1f0-7b8c-7def-8123-456789abcdef' }, secret, {
    algorithm: 'HS256',
    subject: '0193a1f0-7b8c-7def-8123-456789abcdef',
    issuer: 'taskwright',
    audience: 'taskwright-api',
    expiresIn: 900,
  });
  const verifyOptions = { algorithms: ['HS256'], issuer: 'taskwright', audience: 'taskwright-api' };
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  results.push(await measure('jsonwebtoken.verify, secret as a string (what accessTokenKey() avoids)', () => jwt.verify(token, secret, verifyOptions)));
  results.push(await measure('jsonwebtoken.verify, secret as a KeyObject (Taskwright, once per request)', () => jwt.verify(token, key, verifyOptions)));
  results.push(
    await measure('HS256 check with node:crypto only (the baseline)', () =>
      createHmac('sha256', secret)
        .update(token.slice(0, token.lastIndexOf('.')))
        .digest('base64url'),
    ),
  );

  const pipe = createValidationPipe();
  const queryMeta: ArgumentMetadata = { type: 'query', metatype: ListTasksQueryDto, data: undefined };
  results.push(await measure('ValidationPipe on the list query {limit: "20"}', () => pipe.transform({ limit: '20' }, queryMeta)));
  const bodyMeta: ArgumentMetadata = { type: 'body', metatype: CreateTaskDto, data: undefined };
  const body = { title: 'Write the report', description: 'Numbers first', priority: 'high', dueAt: '2027-01-15T09:00:00Z', tags: ['bench', 'load'] };
  results.push(await measure('ValidationPipe on a create body (5 fields)', () => pipe.transform({ ...body }, bodyMeta)));

  const listPage = page();
  results.push(
    await measure('ETag over JSON.stringify(page), then JSON.stringify(page) again: a 20-task page serialised twice (the former miss)', () => [
      etagOfJson(JSON.stringify(listPage)),
      JSON.stringify(listPage),
    ]),
  );
  results.push(
    await measure('one JSON.stringify(page) + sha256 of that string', () => {
      const json = JSON.stringify(listPage);
      return createHash('sha256').update(json).digest('base64url');
    }),
  );
  results.push(await measure('JSON.stringify(page): what a cache hit cost when the cache stored the object', () => JSON.stringify(listPage)));

  const devNull = pino.destination({ dest: '/dev/null', sync: true });
  const line = { requestId: '0193a1f0-7b8c-7def-8123-456789abcdef', method: 'GET', route: '/v1/tasks', status: 200, durationMs: 3.2 };
  const withRedact = pino(
    { level: 'info', base: { service: 'taskwright' }, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: REDACTED_PATHS, remove: true } },
    devNull,
  );
  const withoutRedact = pino({ level: 'info', base: { service: 'taskwright' }, timestamp: pino.stdTimeFunctions.isoTime }, devNull);
  results.push(await measure("the request log line, Taskwright's logger (redact with wildcards), to /dev/null", () => withRedact.info(line, 'request')));
  results.push(await measure('the same line without redact', () => withoutRedact.info(line, 'request')));
  return results;
}
