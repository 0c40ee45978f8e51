import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { ProblemException } from '../problem/problem.exception';
import { canonicalJson, hashRequest, IDEMPOTENCY_TTL_SECONDS, IdempotencyService, type IdempotentRequest } from './idempotency.service';

describe('request hashing for Idempotency-Key', () => {
  it('ignores key order at every level and absent (undefined) fields', () => {
    const a = { title: 'x', tags: ['a', 'b'], nested: { b: 1, a: [{ y: 2, x: 1 }] }, dueAt: undefined };
    const b = { nested: { a: [{ x: 1, y: 2 }], b: 1 }, tags: ['a', 'b'], title: 'x' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(hashRequest(a)).toBe(hashRequest(b));
  });

  it('tells apart every difference that matters', () => {
    const base = { title: 'x', tags: ['a', 'b'], dueAt: null };
    const variants = [
      base,
      { ...base, title: 'y' },
      { ...base, tags: ['b', 'a'] },
      { ...base, tags: ['a'] },
      { ...base, dueAt: '2026-01-01T00:00:00.000Z' },
      { title: 'x', tags: ['a', 'b'] },
      { ...base, title: 1 },
    ];
    expect(new Set(variants.map(hashRequest)).size).toBe(variants.length);
    expect(hashRequest(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes plain JSON with sorted keys, and null for what JSON cannot hold', () => {
    expect(canonicalJson({ b: [1, 'x', null, { d: true, c: undefined }], a: { z: 1, y: 2 } })).toBe('{"a":{"y":2,"z":1},"b":[1,"x",null,{"d":true}]}');
    expect(canonicalJson({ B: 1, a: 2, A: 3, b: 4 })).toBe('{"A":3,"B":1,"a":2,"b":4}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
  });
});

/**
 * The idempotency_keys table and the three statements IdempotencyService sends, over a Map. Each
 * statement is recognised by its opening words; anything else is refused as PostgreSQL would.
 */
class FakeKeyTable {
  readonly rows = new Map<string, { userId: string; requestHash: string; resourceId: string | null; response: unknown; createdAtMs: number }>();
  nowMs = Date.UTC(2026, 11, 1);
  /** Deletes a row between a claim's INSERT and its SELECT, as a concurrent purge could. */
  vanishBeforeSelect = false;

  private static id(params: unknown[]): string {
    return params.slice(0, 3).join('\u0000');
  }

  async query(sql: string, params: unknown[] = []): Promise<unknown[]> {
    const statement = sql.replace(/\s+/g, ' ').trim();
    if (statement.startsWith('INSERT INTO idempotency_keys (user_id, scope, key, request_hash) VALUES ($1, $2, $3, $4) ON CONFLICT')) {
      const id = FakeKeyTable.id(params);
      const existing = this.rows.get(id);
      const ttlMs = Number(params[4]) * 1000;
      if (existing !== undefined && !(existing.createdAtMs < this.nowMs - ttlMs)) return [];
      this.rows.set(id, { userId: String(params[0]), requestHash: String(params[3]), resourceId: null, response: null, createdAtMs: this.nowMs });
      return [{ '?column?': 1 }];
    }
    if (statement.startsWith('SELECT request_hash, resource_id, response FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3')) {
      if (this.vanishBeforeSelect) this.rows.delete(FakeKeyTable.id(params));
      const row = this.rows.get(FakeKeyTable.id(params));
      return row === undefined ? [] : [{ request_hash: row.requestHash, resource_id: row.resourceId, response: row.response }];
    }
    if (statement.startsWith('UPDATE idempotency_keys SET resource_id = $4, response = $5::jsonb WHERE user_id = $1 AND scope = $2 AND key = $3')) {
      const row = this.rows.get(FakeKeyTable.id(params));
      if (row !== undefined) Object.assign(row, { resourceId: String(params[3]), response: JSON.parse(String(params[4])) as unknown });
      return [];
    }
    if (statement.startsWith('DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY( SELECT ctid FROM idempotency_keys WHERE created_at < now()')) {
      const ttlMs = Number(params[0]) * 1000;
      const expired = [...this.rows].filter(([, row]) => row.createdAtMs < this.nowMs - ttlMs).slice(0, Number(params[1]));
      for (const [id] of expired) this.rows.delete(id);
      return [];
    }
    throw new Error(`syntax error in a statement the fake does not know: ${statement.slice(0, 60)}`);
  }
}

describe('IdempotencyService', () => {
  let table: FakeKeyTable;
  let service: IdempotencyService;
  const manager = () => table as unknown as EntityManager;
  const request = (overrides: Partial<IdempotentRequest> = {}): IdempotentRequest => ({
    userId: 'alice',
    scope: 'tasks.create',
    key: 'key-1',
    request: { title: 'Write the report', tags: ['a'] },
    ...overrides,
  });

  beforeEach(() => {
    table = new FakeKeyTable();
    service = new IdempotencyService(table as unknown as DataSource);
  });
  afterEach(() => jest.restoreAllMocks());

  async function problemOf(promise: Promise<unknown>): Promise<ProblemException> {
    const error: unknown = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (error instanceof ProblemException) return error;
    throw new Error(`expected a ProblemException, got ${String(error)}`);
  }

  it('claims a new key, then replays the stored response for a retry of the same request', async () => {
    expect(await service.claim(manager(), request())).toEqual({ kind: 'claimed', requestHash: hashRequest(request().request) });
    await service.complete(manager(), request(), 'task-1', { id: 'task-1', title: 'Write the report' });
    const retry = request({ request: { tags: ['a'], title: 'Write the report' } });
    expect(await service.claim(manager(), retry)).toEqual({ kind: 'replay', resourceId: 'task-1', response: { id: 'task-1', title: 'Write the report' } });
  });

  it('refuses the same key with another request with 409 idempotency-key-reused', async () => {
    await service.claim(manager(), request());
    await service.complete(manager(), request(), 'task-1', { id: 'task-1' });
    const problem = await problemOf(service.claim(manager(), request({ request: { title: 'Something else', tags: ['a'] } })));
    expect([problem.getStatus(), problem.problemType, problem.message]).toEqual([
      409,
      'idempotency-key-reused',
      'This Idempotency-Key was already used with a different request; use a new key for a new request',
    ]);
  });

  it('answers 409 idempotency-key-in-progress while the first request has not completed', async () => {
    await service.claim(manager(), request());
    const problem = await problemOf(service.claim(manager(), request()));
    expect([problem.getStatus(), problem.problemType, problem.message]).toEqual([
      409,
      'idempotency-key-in-progress',
      'A request with this Idempotency-Key is still in progress; retry shortly',
    ]);
  });

  it('treats a key that vanished between the claim and the read as reused, never as claimed', async () => {
    await service.claim(manager(), request());
    await service.complete(manager(), request(), 'task-1', { id: 'task-1' });
    table.vanishBeforeSelect = true;
    expect((await problemOf(service.claim(manager(), request()))).problemType).toBe('idempotency-key-reused');
  });

  it('keeps keys apart per user and per operation', async () => {
    await service.claim(manager(), request());
    await service.complete(manager(), request(), 'task-1', { id: 'task-1' });
    expect((await service.claim(manager(), request({ userId: 'bob' }))).kind).toBe('claimed');
    expect((await service.claim(manager(), request({ scope: 'tasks.import' }))).kind).toBe('claimed');
    expect((await service.claim(manager(), request({ key: 'key-2' }))).kind).toBe('claimed');
  });

  it('remembers a key for 24 hours, then lets a new request take it over', async () => {
    expect(IDEMPOTENCY_TTL_SECONDS).toBe(86_400);
    await service.claim(manager(), request());
    await service.complete(manager(), request(), 'task-1', { id: 'task-1' });
    table.nowMs += 86_400_000;
    expect((await service.claim(manager(), request())).kind).toBe('replay');
    expect((await problemOf(service.claim(manager(), request({ request: { title: 'New' } })))).problemType).toBe('idempotency-key-reused');
    table.nowMs += 1;
    expect(await service.claim(manager(), request({ request: { title: 'New' } }))).toEqual({ kind: 'claimed', requestHash: hashRequest({ title: 'New' }) });
  });

  it('purges expired keys at most once a minute, a bounded batch at a time, and only logs a failure', async () => {
    let now = 5_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    for (let i = 0; i < 1001; i += 1) await service.claim(manager(), request({ key: `old-${i}` }));
    table.nowMs += 86_400_001;
    await service.claim(manager(), request({ key: 'fresh' }));
    service.purgeExpiredSoon();
    await new Promise((resolve) => setImmediate(resolve));
    expect(table.rows.size).toBe(2); // one expired key left for the next batch, and the fresh one
    now += 59_999;
    service.purgeExpiredSoon();
    await new Promise((resolve) => setImmediate(resolve));
    expect(table.rows.size).toBe(2);
    now += 1;
    service.purgeExpiredSoon();
    await new Promise((resolve) => setImmediate(resolve));
    expect([...table.rows.keys()]).toEqual(['alice\u0000tasks.create\u0000fresh']);

    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const failing = new IdempotencyService({ query: () => Promise.reject(new Error('connection terminated')) } as unknown as DataSource);
    failing.purgeExpiredSoon();
    await new Promise((resolve) => setImmediate(resolve));
    expect(warn).toHaveBeenCalledWith('purging expired idempotency keys failed: connection terminated');
    now += 60_000;
    const failingOddly = new IdempotencyService({ query: () => Promise.reject('socket hang up') } as unknown as DataSource);
    failingOddly.purgeExpiredSoon();
    await new Promise((resolve) => setImmediate(resolve));
    expect(warn).toHaveBeenLastCalledWith('purging expired idempotency keys failed: socket hang up');
  });
});
