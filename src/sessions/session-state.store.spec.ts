import { EventEmitter } from 'node:events';
import { loadConfig } from '../config/app-config';
import type { RedisService } from '../redis/redis.service';
import { SessionStateStore } from './session-state.store';

/** Just enough of a node-redis client: GET, SET (EX, NX) and MULTI, with a switch to fail. */
class FakeRedis extends EventEmitter {
  readonly values = new Map<string, { value: string; ttl: number }>();
  failing = false;

  async get(key: string): Promise<string | null> {
    if (this.failing) throw new Error('offline');
    return this.values.get(key)?.value ?? null;
  }

  async set(key: string, value: string, options: { expiration: { value: number }; condition?: 'NX' }): Promise<string | null> {
    if (this.failing) throw new Error('offline');
    if (options.condition === 'NX' && this.values.has(key)) return null;
    this.values.set(key, { value, ttl: options.expiration.value });
    return 'OK';
  }

  multi(): { set(key: string, value: string, options: { expiration: { value: number } }): void; exec(): Promise<void> } {
    const queued: Array<() => void> = [];
    return {
      set: (key, value, options) => queued.push(() => this.values.set(key, { value, ttl: options.expiration.value })),
      exec: async () => {
        if (this.failing) throw new Error('offline');
        for (const apply of queued) apply();
      },
    };
  }
}

const config = loadConfig({ NODE_ENV: 'test', REDIS_KEY_PREFIX: 'pfx:', JWT_ACCESS_TTL_SECONDS: '900' });

function storeWith(client: FakeRedis | undefined): SessionStateStore {
  const redis = {
    enabled: client !== undefined,
    call: (command: (c: FakeRedis) => Promise<unknown>) => (client ? command(client) : Promise.reject(new Error('no redis'))),
    onResume: (listener: () => void) => client?.on('ready', listener),
  };
  return new SessionStateStore(config, redis as unknown as RedisService);
}

describe('SessionStateStore with Redis', () => {
  it('keeps "revoked" as long as an access token lives, and "active" for at most SESSION_ACTIVE_CACHE_SECONDS', async () => {
    const redis = new FakeRedis();
    const store = storeWith(redis);
    await store.remember('s1', 'active');
    await store.remember('s2', 'active', 3.7);
    await store.markRevoked(['s3']);
    expect(redis.values.get('pfx:session:s1')).toEqual({ value: 'active', ttl: 5 });
    expect(redis.values.get('pfx:session:s2')).toEqual({ value: 'active', ttl: 3 });
    expect(redis.values.get('pfx:session:s3')).toEqual({ value: 'revoked', ttl: 900 });
    await expect(store.get('s3')).resolves.toBe('revoked');
  });

  it('never lets a late "active" overwrite a revocation, while a revocation overwrites "active"', async () => {
    const redis = new FakeRedis();
    const store = storeWith(redis);
    await store.remember('s', 'active');
    await store.markRevoked(['s']);
    await store.remember('s', 'active');
    await expect(store.get('s')).resolves.toBe('revoked');
  });

  it('answers "unknown" (ask PostgreSQL) when Redis fails or holds something else', async () => {
    const redis = new FakeRedis();
    const store = storeWith(redis);
    redis.values.set('pfx:session:odd', { value: 'weird', ttl: 1 });
    await expect(store.get('odd')).resolves.toBeUndefined();
    await store.remember('s', 'active');
    redis.failing = true;
    await expect(store.get('s')).resolves.toBeUndefined();
    await expect(store.remember('s', 'revoked')).resolves.toBeUndefined();
  });

  it('publishes a revocation Redis refused as soon as the connection is ready again', async () => {
    const redis = new FakeRedis();
    const store = storeWith(redis);
    await store.remember('s', 'active');
    redis.failing = true;
    await store.markRevoked(['s']);
    redis.failing = false;
    await expect(store.get('s')).resolves.toBe('active');
    redis.emit('ready');
    await new Promise((resolve) => setImmediate(resolve));
    await expect(store.get('s')).resolves.toBe('revoked');
  });
});

describe('SessionStateStore without Redis', () => {
  it('remembers in process with the same rules', async () => {
    const store = storeWith(undefined);
    await expect(store.get('s')).resolves.toBeUndefined();
    await store.remember('s', 'active');
    await expect(store.get('s')).resolves.toBe('active');
    await store.markRevoked(['s']);
    await store.remember('s', 'active');
    await expect(store.get('s')).resolves.toBe('revoked');
  });
});
