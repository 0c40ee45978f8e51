import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProblemException } from '../problem/problem.exception';
import { hashRequest } from './canonical-json';
import type { IdempotencyKeysRepository } from './idempotency.repository';
import { IdempotencyService, type IdempotentRequest } from './idempotency.service';

interface StoredKey {
  requestHash: string;
  resourceId: string | null;
  response: unknown;
  createdAtMs: number;
}

type KeyId = Pick<IdempotentRequest, 'userId' | 'scope' | 'key'>;

/**
 * The idempotency_keys table behind IdempotencyKeysRepository, over a Map with its own clock: what
 * the repository promises (a claim inserts or takes over a row older than the TTL it is given,
 * a purge deletes at most a batch of such rows), not its SQL, which the e2e specs run for real.
 */
class FakeKeysRepository {
  readonly rows = new Map<string, StoredKey>();
  nowMs = Date.UTC(2026, 11, 1);
  /** Deletes a row between a claim's insert and its read, as a concurrent purge could. */
  vanishBeforeFind = false;
  /** Makes purges fail with this (an Error or anything else a driver may reject with). */
  purgeFailure: unknown = undefined;

  private static id(id: KeyId): string {
    return [id.userId, id.scope, id.key].join('\u0000');
  }

  async claim(_manager: EntityManager, id: KeyId, requestHash: string, ttlSeconds: number): Promise<boolean> {
    const existing = this.rows.get(FakeKeysRepository.id(id));
    if (existing !== undefined && !(existing.createdAtMs < this.nowMs - ttlSeconds * 1000)) return false;
    this.rows.set(FakeKeysRepository.id(id), { requestHash, resourceId: null, response: null, createdAtMs: this.nowMs });
    return true;
  }

  async find(_manager: EntityManager, id: KeyId): Promise<Pick<StoredKey, 'requestHash' | 'resourceId' | 'response'> | undefined> {
    if (this.vanishBeforeFind) this.rows.delete(FakeKeysRepository.id(id));
    const row = this.rows.get(FakeKeysRepository.id(id));
    return row === undefined ? undefined : { requestHash: row.requestHash, resourceId: row.resourceId, response: row.response };
  }

  async storeResponse(_manager: EntityManager, id: KeyId, resourceId: string, response: unknown): Promise<void> {
    const row = this.rows.get(FakeKeysRepository.id(id));
    // As jsonb: what is read back is a copy of the JSON, never the object given.
    if (row !== undefined) Object.assign(row, { resourceId, response: JSON.parse(JSON.stringify(response)) as unknown });
  }

  async purgeExpired(ttlSeconds: number, batch: number): Promise<void> {
    if (this.purgeFailure !== undefined) throw this.purgeFailure;
    const expired = [...this.rows].filter(([, row]) => row.createdAtMs < this.nowMs - ttlSeconds * 1000).slice(0, batch);
    for (const [id] of expired) this.rows.delete(id);
  }
}

describe('IdempotencyService', () => {
  let keys: FakeKeysRepository;
  let service: IdempotencyService;
  const manager = {} as EntityManager;
  const request = (overrides: Partial<IdempotentRequest> = {}): IdempotentRequest => ({
    userId: 'alice',
    scope: 'tasks.create',
    key: 'key-1',
    request: { title: 'Write the report', tags: ['a'] },
    ...overrides,
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    keys = new FakeKeysRepository();
    service = new IdempotencyService(keys as unknown as IdempotencyKeysRepository);
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
    expect(await service.claim(manager, request())).toEqual({ kind: 'claimed', requestHash: hashRequest(request().request) });
    await service.complete(manager, request(), 'task-1', { id: 'task-1', title: 'Write the report' });
    const retry = request({ request: { tags: ['a'], title: 'Write the report' } });
    expect(await service.claim(manager, retry)).toEqual({ kind: 'replay', resourceId: 'task-1', response: { id: 'task-1', title: 'Write the report' } });
  });

  it('refuses the same key with another request with 409 idempotency-key-reused', async () => {
    await service.claim(manager, request());
    await service.complete(manager, request(), 'task-1', { id: 'task-1' });
    const problem = await problemOf(service.claim(manager, request({ request: { title: 'Something else', tags: ['a'] } })));
    expect([problem.getStatus(), problem.problemType, problem.message]).toEqual([
      409,
      'idempotency-key-reused',
      'This Idempotency-Key was already used with a different request; use a new key for a new request',
    ]);
  });

  it('answers 409 idempotency-key-in-progress while the first request has not completed', async () => {
    await service.claim(manager, request());
    const problem = await problemOf(service.claim(manager, request()));
    expect([problem.getStatus(), problem.problemType, problem.message]).toEqual([
      409,
      'idempotency-key-in-progress',
      'A request with this Idempotency-Key is still in progress; retry shortly',
    ]);
  });

  it.each([
    ['a resource but no response', { resourceId: 'task-1', response: null }],
    ['a response but no resource', { resourceId: null, response: { id: 'task-1' } }],
  ])('never replays a half-stored key (%s): 409 idempotency-key-in-progress', async (_what, stored) => {
    await service.claim(manager, request());
    const row = keys.rows.get(['alice', 'tasks.create', 'key-1'].join('\u0000'));
    Object.assign(row ?? {}, stored);
    expect((await problemOf(service.claim(manager, request()))).problemType).toBe('idempotency-key-in-progress');
  });

  it('treats a key that vanished between the claim and the read as reused, never as claimed', async () => {
    await service.claim(manager, request());
    await service.complete(manager, request(), 'task-1', { id: 'task-1' });
    keys.vanishBeforeFind = true;
    expect((await problemOf(service.claim(manager, request()))).problemType).toBe('idempotency-key-reused');
  });

  it('keeps keys apart per user and per operation', async () => {
    await service.claim(manager, request());
    await service.complete(manager, request(), 'task-1', { id: 'task-1' });
    expect((await service.claim(manager, request({ userId: 'bob' }))).kind).toBe('claimed');
    expect((await service.claim(manager, request({ scope: 'tasks.import' }))).kind).toBe('claimed');
    expect((await service.claim(manager, request({ key: 'key-2' }))).kind).toBe('claimed');
  });

  it('remembers a key for 24 hours, then lets a new request take it over', async () => {
    await service.claim(manager, request());
    await service.complete(manager, request(), 'task-1', { id: 'task-1' });
    keys.nowMs += 86_400_000;
    expect((await service.claim(manager, request())).kind).toBe('replay');
    expect((await problemOf(service.claim(manager, request({ request: { title: 'New' } })))).problemType).toBe('idempotency-key-reused');
    keys.nowMs += 1;
    expect(await service.claim(manager, request({ request: { title: 'New' } }))).toEqual({ kind: 'claimed', requestHash: hashRequest({ title: 'New' }) });
  });

  it('purges keys older than 24 hours at most once a minute, 1000 at a time', async () => {
    let now = 5_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    for (let i = 0; i < 1001; i += 1) await service.claim(manager, request({ key: `old-${i}` }));
    keys.nowMs += 86_400_000;
    await service.claim(manager, request({ key: 'a day old' }));
    keys.nowMs += 1;
    await service.claim(manager, request({ key: 'fresh' }));
    service.purgeExpiredSoon();
    await settle();
    expect(keys.rows.size).toBe(3); // one expired key left for the next batch, and the two within 24 h
    now += 59_999;
    service.purgeExpiredSoon();
    await settle();
    expect(keys.rows.size).toBe(3);
    now += 1;
    service.purgeExpiredSoon();
    await settle();
    expect([...keys.rows.keys()]).toEqual(['alice\u0000tasks.create\u0000a day old', 'alice\u0000tasks.create\u0000fresh']);
  });

  it('only logs a failed purge, naming its cause, and tries again a minute later', async () => {
    let now = 5_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await service.claim(manager, request());
    keys.nowMs += 86_400_001;
    keys.purgeFailure = new Error('connection terminated');
    service.purgeExpiredSoon();
    await settle();
    expect(warn).toHaveBeenCalledWith('purging expired idempotency keys failed: connection terminated');
    keys.purgeFailure = 'socket hang up';
    now += 60_000;
    service.purgeExpiredSoon();
    await settle();
    expect(warn).toHaveBeenLastCalledWith('purging expired idempotency keys failed: socket hang up');
    expect(warn).toHaveBeenCalledTimes(2);
    keys.purgeFailure = undefined;
    now += 60_000;
    service.purgeExpiredSoon();
    await settle();
    expect(keys.rows.size).toBe(0);
  });
});
