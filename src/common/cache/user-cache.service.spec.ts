import { type Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { loadConfig } from '../../config/app-config';
import type { RedisService } from '../../redis/redis.service';
import { requestCacheKey } from './http-caching.interceptor';
import { type CacheOutcome, UserCacheService } from './user-cache.service';

/** A Keyv store whose every operation can be made to fail, like Redis during an outage. */
function flakyStore(): { keyv: Keyv; setDown(down: boolean): void } {
  const data = new Map<string, unknown>();
  let down = false;
  const guard = async <T>(fn: () => T): Promise<T> => {
    if (down) throw new Error('store down');
    return fn();
  };
  const adapter = {
    opts: {},
    namespace: undefined,
    on: () => adapter,
    get: (key: string) => guard(() => data.get(key)),
    getMany: (keys: string[]) => guard(() => keys.map((key) => data.get(key))),
    set: (key: string, value: unknown) => guard(() => (data.set(key, value), true)),
    delete: (key: string) => guard(() => data.delete(key)),
    clear: () => guard(() => data.clear()),
  };
  const keyv = new Keyv({ store: adapter as never, throwOnErrors: true });
  return { keyv, setDown: (value) => (down = value) };
}

function service(cache: Cache): { svc: UserCacheService; outcomes: CacheOutcome[] } {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const svc = new UserCacheService(cache, config, { onResume: () => undefined, available: false } as unknown as RedisService);
  const outcomes: CacheOutcome[] = [];
  svc.onOutcome((o) => outcomes.push(o));
  return { svc, outcomes };
}

describe('UserCacheService', () => {
  let store: ReturnType<typeof flakyStore>;
  let cache: Cache;
  beforeEach(() => {
    store = flakyStore();
    cache = createCache({ stores: [store.keyv] });
  });

  it('serves a stored response to the same user only', async () => {
    const { svc } = service(cache);
    const first = await svc.lookup('alice', 'GET /v1/tasks?');
    expect(first.hit).toBe(false);
    first.store('{"data":["alice"]}', '"a"');
    await new Promise((r) => setTimeout(r, 5));
    const again = await svc.lookup('alice', 'GET /v1/tasks?');
    expect(again).toMatchObject({ hit: true, etag: '"a"', json: '{"data":["alice"]}' });
    expect((await svc.lookup('bob', 'GET /v1/tasks?')).hit).toBe(false);
  });

  it('makes every earlier read stale once the user writes', async () => {
    const { svc } = service(cache);
    const read = await svc.lookup('alice', 'k');
    read.store('old', '"1"');
    await new Promise((r) => setTimeout(r, 5));
    await svc.invalidate('alice');
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });

  it('never lets a read that began before a write fill the cache with data from before it', async () => {
    const { svc } = service(cache);
    const slowRead = await svc.lookup('alice', 'k'); // generation read here...
    await svc.invalidate('alice'); // ...then a write commits and invalidates...
    slowRead.store('possibly old', '"x"'); // ...then the slow read stores its result
    await new Promise((r) => setTimeout(r, 5));
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });

  it('bypasses the store while it fails and serves nothing from before the outage afterwards', async () => {
    const { svc, outcomes } = service(cache);
    const read = await svc.lookup('alice', 'k');
    read.store('before outage', '"1"');
    await new Promise((r) => setTimeout(r, 5));
    store.setDown(true);
    await svc.invalidate('alice'); // the write's invalidation cannot reach the store
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
    expect(outcomes).toContain('error');
    store.setDown(false);
    const after = await svc.lookup('alice', 'k');
    expect(after.hit).toBe(false); // the pre-outage entry is not resurrected
  });

  it('turns off entirely with CACHE_TTL_MS=0', async () => {
    const config = loadConfig({ CACHE_TTL_MS: '0' });
    const svc = new UserCacheService(cache, config, { onResume: () => undefined, available: false } as unknown as RedisService);
    const read = await svc.lookup('alice', 'k');
    read.store('x', '"1"');
    expect((await svc.lookup('alice', 'k')).hit).toBe(false);
  });
});

describe('requestCacheKey', () => {
  it('normalises query parameter order and ignores everything but method, path and query', () => {
    expect(requestCacheKey('GET', '/v1/tasks?b=2&a=1')).toBe(requestCacheKey('GET', '/v1/tasks?a=1&b=2'));
    expect(requestCacheKey('GET', '/v1/tasks?a=1')).not.toBe(requestCacheKey('GET', '/v1/tasks?a=2'));
    expect(requestCacheKey('GET', '/v1/tasks/1')).not.toBe(requestCacheKey('GET', '/v1/tasks/2'));
  });
});
