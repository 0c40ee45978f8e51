import { Logger } from '@nestjs/common';
import { type Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { loadConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { type RedisService, RedisUnavailableError } from '../../redis/redis.service';
import { requestCacheKey } from './http-caching.interceptor';
import { type CacheOutcome, UserCacheService } from './user-cache.service';

type Operation = 'get' | 'set' | 'delete';

/** Keyv keeps each value as JSON text wrapping it with its expiry. */
function unwrap(raw: unknown): { value: unknown; expires?: number } {
  return JSON.parse(String(raw)) as { value: unknown; expires?: number };
}

/**
 * A Keyv store shared like Redis, whose operations can be made to fail (all of them, like Redis
 * during an outage, or only writes or reads), and whose keys can be evicted like under memory
 * pressure.
 */
function flakyStore() {
  const data = new Map<string, unknown>();
  const failing = new Set<Operation>();
  let failure: Error = new Error('store down');
  let failNextSets = 0;
  const guard = async <T>(operation: Operation, fn: () => T): Promise<T> => {
    if (operation === 'set' && failNextSets > 0) {
      failNextSets -= 1;
      throw failure;
    }
    if (failing.has(operation)) throw failure;
    return fn();
  };
  const adapter = {
    opts: {},
    namespace: undefined,
    on: () => adapter,
    get: (key: string) => guard('get', () => data.get(key)),
    getMany: (keys: string[]) => guard('get', () => keys.map((key) => data.get(key))),
    set: (key: string, value: unknown) => guard('set', () => (data.set(key, value), true)),
    delete: (key: string) => guard('delete', () => data.delete(key)),
    clear: () => guard('delete', () => data.clear()),
  };
  const keyv = new Keyv({ store: adapter as never, throwOnErrors: true });
  return {
    keyv,
    data,
    setDown(down: boolean, operations: Operation[] = ['get', 'set', 'delete'], error = new Error('store down')): void {
      failure = error;
      for (const operation of operations) {
        if (down) failing.add(operation);
        else failing.delete(operation);
      }
    },
    failNextSets(count: number): void {
      failNextSets = count;
    },
    /** Drops every key whose stored value passes `test`, like an eviction under memory pressure. */
    evict(test: (value: unknown) => boolean): void {
      for (const [key, raw] of data) if (test(unwrap(raw).value)) data.delete(key);
    },
    /** Drops every key whose name passes `test`. */
    evictKeys(test: (key: string) => boolean): void {
      for (const key of data.keys()) if (test(key)) data.delete(key);
    },
    /** Replaces every stored value by what `change` makes of it, keeping its expiry. */
    transform(change: (value: unknown) => unknown): void {
      for (const [key, raw] of data) {
        const wrapped = unwrap(raw);
        data.set(key, JSON.stringify({ ...wrapped, value: change(wrapped.value) }));
      }
    },
  };
}

/** Lets fire-and-forget writes (the entry store) reach the store. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

interface FakeRedis {
  redis: RedisService;
  resume(): void;
}

function fakeRedis(available = false): FakeRedis {
  const listeners: Array<() => void> = [];
  const redis = { onResume: (listener: () => void) => listeners.push(listener), available } as unknown as RedisService;
  return { redis, resume: () => listeners.forEach((listener) => listener()) };
}

function service(cache: Cache, env: Record<string, string> = {}, redis = fakeRedis()): { svc: UserCacheService; outcomes: CacheOutcome[] } {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const svc = new UserCacheService(cache, config, redis.redis);
  const outcomes: CacheOutcome[] = [];
  svc.onOutcome((o) => outcomes.push(o));
  return { svc, outcomes };
}

/** Looks `requestKey` up for `userId` and, on a miss, stores `json` as its response. */
async function readThrough(svc: UserCacheService, userId: string, requestKey: string, json: string): Promise<boolean> {
  const lookup = await svc.lookup(userId, requestKey);
  if (!lookup.hit) lookup.store(json, `"${json}"`);
  await settle();
  return lookup.hit;
}

describe('UserCacheService', () => {
  let store: ReturnType<typeof flakyStore>;
  let cache: Cache;
  beforeEach(() => {
    store = flakyStore();
    cache = createCache({ stores: [store.keyv] });
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('serves a stored response to the same user only', async () => {
    const { svc } = service(cache);
    const first = await svc.lookup('alice', 'GET /v1/tasks?');
    expect(first.hit).toBe(false);
    first.store('{"data":["alice"]}', '"a"');
    await settle();
    const again = await svc.lookup('alice', 'GET /v1/tasks?');
    expect(again).toMatchObject({ hit: true, etag: '"a"', json: '{"data":["alice"]}' });
    expect((await svc.lookup('bob', 'GET /v1/tasks?')).hit).toBe(false);
  });

  it('keeps one entry per request: page 2 is never answered with page 1', async () => {
    const { svc } = service(cache);
    await readThrough(svc, 'alice', 'GET /v1/tasks?page=1', 'page 1');
    const page2 = await svc.lookup('alice', 'GET /v1/tasks?page=2');
    expect(page2.hit).toBe(false);
    page2.store('page 2', '"p2"');
    await settle();
    expect(await svc.lookup('alice', 'GET /v1/tasks?page=1')).toMatchObject({ hit: true, json: 'page 1' });
    expect(await svc.lookup('alice', 'GET /v1/tasks?page=2')).toMatchObject({ hit: true, json: 'page 2', etag: '"p2"' });
  });

  it('makes every earlier read stale once the user writes, and only that user’s reads', async () => {
    const { svc } = service(cache);
    await readThrough(svc, 'alice', 'k', 'alice');
    await readThrough(svc, 'bob', 'k', 'bob');
    await svc.invalidate('alice');
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    expect(await svc.lookup('bob', 'k')).toMatchObject({ hit: true, json: 'bob' });
  });

  it('makes the reads of every user named stale in one write (the audience of a shared task), and nobody else’s', async () => {
    const { svc } = service(cache);
    for (const user of ['alice', 'bob', 'carol']) await readThrough(svc, user, 'k', user);
    const mset = jest.spyOn(cache, 'mset');
    await svc.invalidate('alice', 'bob', 'alice');
    expect(mset).toHaveBeenCalledTimes(1);
    expect(mset.mock.calls[0]?.[0]).toHaveLength(2);
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    expect((await svc.lookup('bob', 'k')).hit).toBe(false);
    expect(await svc.lookup('carol', 'k')).toMatchObject({ hit: true, json: 'carol' });
    await svc.invalidate();
    expect(mset).toHaveBeenCalledTimes(1);
    // One user is one plain write.
    const set = jest.spyOn(cache, 'set');
    await svc.invalidate('carol', 'carol');
    expect(mset).toHaveBeenCalledTimes(1);
    expect(set).toHaveBeenCalledTimes(1);
    expect((await svc.lookup('carol', 'k')).hit).toBe(false);
  });

  it('serves none of the users’ entries after a failed invalidation of several', async () => {
    const { svc } = service(cache);
    for (const user of ['alice', 'bob']) await readThrough(svc, user, 'k', user);
    store.setDown(true, ['set']);
    await svc.invalidate('alice', 'bob');
    store.setDown(false, ['set']);
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    expect((await svc.lookup('bob', 'k')).hit).toBe(false);
  });

  it('caches the writer’s reads again after the write: the next read is stored, the one after is a hit', async () => {
    const { svc } = service(cache);
    await readThrough(svc, 'alice', 'k', 'before the write');
    await svc.invalidate('alice');
    expect(await readThrough(svc, 'alice', 'k', 'after the write')).toBe(false);
    expect(await svc.lookup('alice', 'k')).toMatchObject({ hit: true, json: 'after the write' });
  });

  it.each([
    ['the global generation, then a flush after a reconnect', 'cache:g', 'flush'],
    ['the user’s generation, then a write', 'cache:u:alice', 'write'],
  ] as const)('never lets the loss of %s bring back an entry stored in between', async (_what, generationKey, staleBy) => {
    const redis = fakeRedis();
    const { svc } = service(cache, {}, redis);
    const lose = () => store.evictKeys((key) => key.endsWith(generationKey));
    await readThrough(svc, 'alice', 'k', 'first');
    lose();
    expect(await readThrough(svc, 'alice', 'k', 'stored while the generation was missing')).toBe(false);
    if (staleBy === 'flush') redis.resume();
    else await svc.invalidate('alice');
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    lose();
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });

  it('never lets a read that began before a write fill the cache with data from before it', async () => {
    const { svc } = service(cache);
    const slowRead = await svc.lookup('alice', 'k'); // generation read here...
    await svc.invalidate('alice'); // ...then a write commits and invalidates...
    slowRead.store('possibly old', '"x"'); // ...then the slow read stores its result
    await settle();
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });

  it('keeps the entries of apps with another REDIS_KEY_PREFIX apart, flushes included', async () => {
    const a = service(cache, { REDIS_KEY_PREFIX: 'app-a:' }).svc;
    await readThrough(a, 'alice', 'k', 'from a');
    const b = service(cache, { REDIS_KEY_PREFIX: 'app-b:' }).svc;
    expect((await b.lookup('alice', 'k')).hit).toBe(false); // b's start-up flush and b's own keys
    await b.invalidate('alice');
    expect(await a.lookup('alice', 'k')).toMatchObject({ hit: true, json: 'from a' });
  });

  it('serves nothing stored before this instance started (a fresh process flushes once)', async () => {
    const before = service(cache).svc;
    await readThrough(before, 'alice', 'k', 'before the restart');
    const { svc, outcomes } = service(cache);
    expect(await readThrough(svc, 'alice', 'k', 'after the restart')).toBe(false);
    expect(await svc.lookup('alice', 'k')).toMatchObject({ hit: true, json: 'after the restart' });
    expect(outcomes).toEqual(['miss', 'hit']);
  });

  it('bypasses the store while it fails and serves nothing from before the outage afterwards', async () => {
    const { svc, outcomes } = service(cache);
    await readThrough(svc, 'alice', 'k', 'before outage');
    store.setDown(true);
    await svc.invalidate('alice'); // the write's invalidation cannot reach the store
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    expect(outcomes).toEqual(['miss', 'error', 'error']);
    store.setDown(false);
    expect(await readThrough(svc, 'alice', 'k', 'after outage')).toBe(false); // the pre-outage entry is not resurrected
    expect(await svc.lookup('alice', 'k')).toMatchObject({ hit: true, json: 'after outage' });
  });

  it('does not swallow a failed invalidation: the entries it missed are never served', async () => {
    const { svc, outcomes } = service(cache);
    await readThrough(svc, 'alice', 'k', 'before the write');
    store.setDown(true, ['set']);
    await svc.invalidate('alice');
    expect(outcomes).toEqual(['miss', 'error']);
    store.setDown(false, ['set']);
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });

  it('serves nothing while the flush after a reconnect fails, and recovers once it succeeds', async () => {
    const redis = fakeRedis();
    const { svc, outcomes } = service(cache, {}, redis);
    await readThrough(svc, 'alice', 'k', 'before the reconnect');
    redis.resume(); // invalidations may have been lost while disconnected
    store.failNextSets(1);
    const during = await svc.lookup('alice', 'k');
    expect(during.hit).toBe(false);
    expect(outcomes).toEqual(['miss', 'error']);
    during.store('stored while flushing failed', '"x"');
    await settle();
    expect(await readThrough(svc, 'alice', 'k', 'after the flush')).toBe(false);
    expect(await svc.lookup('alice', 'k')).toMatchObject({ hit: true, json: 'after the flush' });
  });

  it('bypasses a read whose generations cannot be written, without counting a miss', async () => {
    const { svc, outcomes } = service(cache);
    await readThrough(svc, 'alice', 'k', 'x');
    outcomes.length = 0;
    store.evict((value) => typeof value === 'string'); // the generations (plain strings), not the entries
    store.setDown(true, ['set']);
    const lookup = await svc.lookup('alice', 'k');
    expect(lookup.hit).toBe(false);
    expect(outcomes).toEqual(['error']);
  });

  it('recreates an evicted generation, so no eviction brings back an entry from before a write', async () => {
    const { svc } = service(cache);
    const evictGenerations = () => store.evict((value) => typeof value === 'string');
    await readThrough(svc, 'alice', 'k', 'first');
    evictGenerations();
    expect(await readThrough(svc, 'alice', 'k', 'after the eviction')).toBe(false);
    expect(await svc.lookup('alice', 'k')).toMatchObject({ hit: true, json: 'after the eviction' });
    await svc.invalidate('alice');
    evictGenerations();
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });

  it.each(['json', 'etag'])('never serves an entry whose %s is not text (another version of the app sharing the store)', async (field) => {
    const { svc } = service(cache);
    await readThrough(svc, 'alice', 'k', 'x');
    let altered = 0;
    store.transform((value) => {
      if (typeof value !== 'object' || value === null) return value;
      altered += 1;
      return { ...value, [field]: 42 }; // its generations stay current
    });
    expect(altered).toBe(1);
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });

  it('keeps generations far longer than entries: an entry lives its whole CACHE_TTL_MS, then expires', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    const day = 24 * 3600 * 1000;
    const { svc } = service(cache, { CACHE_TTL_MS: String(day) });
    await readThrough(svc, 'alice', 'k', 'cached for a day');
    jest.setSystemTime(Date.now() + day - 60_000);
    expect(await svc.lookup('alice', 'k')).toMatchObject({ hit: true, json: 'cached for a day' });
    jest.setSystemTime(Date.now() + 120_000);
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });

  it('turns off entirely with CACHE_TTL_MS=0, and then never touches the store', async () => {
    const { svc, outcomes } = service(cache, { CACHE_TTL_MS: '0' });
    expect(svc.enabled).toBe(false);
    const read = await svc.lookup('alice', 'k');
    read.store('x', '"1"');
    await settle();
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    store.setDown(true);
    await svc.invalidate('alice');
    expect(outcomes).toEqual([]);
    expect(store.data.size).toBe(0);
    expect(service(cache, { CACHE_TTL_MS: '1' }).svc.enabled).toBe(true);
  });

  it('counts hits, misses and errors in cache_operations_total', async () => {
    const metrics = new MetricsService();
    const svc = new UserCacheService(cache, loadConfig({ NODE_ENV: 'test' }), fakeRedis().redis, metrics);
    await readThrough(svc, 'alice', 'k', 'x');
    await readThrough(svc, 'alice', 'k2', 'y');
    await svc.lookup('alice', 'k');
    await svc.lookup('alice', 'k');
    await svc.lookup('alice', 'k2');
    store.setDown(true);
    await svc.lookup('alice', 'k');
    const counted = (await metrics.registry.getSingleMetric('cache_operations_total')?.get())?.values ?? [];
    expect(Object.fromEntries(counted.map((sample) => [sample.labels.result, sample.value]))).toEqual({ hit: 3, miss: 2, error: 1 });
  });

  it('names the operation that failed in its log line, counts it as an error and serves nothing it may have missed', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { svc, outcomes } = service(cache);
    await readThrough(svc, 'alice', 'k', 'x');
    // write: the entry of a miss cannot be stored
    const miss = await svc.lookup('alice', 'k2');
    store.setDown(true, ['set']);
    miss.store('y', '"y"');
    await settle();
    // flush: the failed write asked for one, which cannot be written either
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    // generation: with no flush pending, a lost generation cannot be written again
    store.setDown(false, ['set']);
    expect(await readThrough(svc, 'alice', 'k', 'after the flush')).toBe(false);
    store.evict((value) => typeof value === 'string');
    store.setDown(true, ['set']);
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    // invalidate
    await svc.invalidate('alice');
    expect(warn.mock.calls.map(([message]) => message)).toEqual(
      ['write', 'flush', 'generation', 'invalidate'].map((operation) => `cache ${operation} failed, serving from PostgreSQL: store down`),
    );
    expect(outcomes).toEqual(['miss', 'miss', 'error', 'error', 'miss', 'error', 'error']);
  });

  it('takes a read the store cannot answer as lost generations: it replaces them, so nothing cached before is served', async () => {
    const { svc } = service(cache);
    await readThrough(svc, 'alice', 'k', 'before the failed read');
    store.setDown(true, ['get']);
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    store.setDown(false, ['get']);
    expect(await readThrough(svc, 'alice', 'k', 'after the failed read')).toBe(false);
    expect(await svc.lookup('alice', 'k')).toMatchObject({ hit: true, json: 'after the failed read' });
  });

  it('logs a store failure, naming the operation, except while the Redis circuit is open', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { svc } = service(cache);
    await readThrough(svc, 'alice', 'k', 'x');
    store.setDown(true, ['set'], new Error('READONLY replica'));
    await svc.invalidate('alice');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenLastCalledWith('cache invalidate failed, serving from PostgreSQL: READONLY replica');
    store.setDown(true, ['get', 'set'], new RedisUnavailableError('circuit open'));
    await svc.lookup('alice', 'k');
    await svc.invalidate('alice');
    expect(warn).toHaveBeenCalledTimes(1); // RedisService has logged the outage once already

    const whileRedisIsUp = service(cache, {}, fakeRedis(true)).svc;
    await whileRedisIsUp.invalidate('alice');
    expect(warn).toHaveBeenLastCalledWith('cache invalidate failed, serving from PostgreSQL: circuit open');
    store.setDown(true, ['set'], 'not an Error' as unknown as Error);
    await whileRedisIsUp.invalidate('alice');
    expect(warn).toHaveBeenLastCalledWith('cache invalidate failed, serving from PostgreSQL: not an Error');
  });
});

describe('requestCacheKey', () => {
  it('normalises query parameter order and ignores everything but method, path and query', () => {
    expect(requestCacheKey('GET', '/v1/tasks?b=2&a=1')).toBe(requestCacheKey('GET', '/v1/tasks?a=1&b=2'));
    expect(requestCacheKey('GET', '/v1/tasks?a=1')).not.toBe(requestCacheKey('GET', '/v1/tasks?a=2'));
    expect(requestCacheKey('GET', '/v1/tasks/1')).not.toBe(requestCacheKey('GET', '/v1/tasks/2'));
  });
});
