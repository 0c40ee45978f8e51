import { loadConfig } from '../../config/app-config';
import type { RedisService } from '../../redis/redis.service';
import { RedisThrottlerStorage, toThrottlerRecord } from './redis-throttler.storage';

describe('toThrottlerRecord', () => {
  it('turns the script reply into whole seconds, rounding up', () => {
    expect(toThrottlerRecord([3, 59001, 0])).toEqual({ totalHits: 3, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect(toThrottlerRecord([11, 1, 1])).toEqual({ totalHits: 11, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 });
    expect(toThrottlerRecord([4, -2, 0]).timeToExpire).toBe(0);
  });

  it('refuses a reply of another shape', () => {
    expect(() => toThrottlerRecord('OK')).toThrow();
    expect(() => toThrottlerRecord([1, 2])).toThrow();
    expect(() => toThrottlerRecord([1, '2', 3])).toThrow();
  });
});

describe('RedisThrottlerStorage', () => {
  const config = loadConfig({ NODE_ENV: 'test', REDIS_KEY_PREFIX: 'pfx:' });

  function storageWith(client: object | undefined): RedisThrottlerStorage {
    const redis = {
      available: (client as { isReady?: boolean } | undefined)?.isReady === true,
      call: (command: (c: object) => Promise<unknown>) => command(client ?? {}),
    };
    return new RedisThrottlerStorage(redis as unknown as RedisService, config);
  }

  it('runs the script once per hit on the prefixed hit and block keys', async () => {
    const calls: unknown[][] = [];
    const client = {
      isReady: true,
      evalSha: async (...args: unknown[]) => {
        calls.push(args);
        return [1, 60000, 0];
      },
    };
    const record = await storageWith(client).increment('default:abc', 60000, 10, 60000);
    expect(record).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect(calls).toEqual([
      [expect.stringMatching(/^[0-9a-f]{40}$/), { keys: ['pfx:rate:default:abc', 'pfx:rate:default:abc:blocked'], arguments: ['60000', '10', '60000'] }],
    ]);
  });

  it('loads the script with EVAL when Redis does not know it yet', async () => {
    const client = {
      isReady: true,
      evalSha: async () => Promise.reject(new Error('NOSCRIPT No matching script')),
      eval: async (script: string) => (script.includes("redis.call('INCR'") ? [2, 1000, 0] : undefined),
    };
    expect((await storageWith(client).increment('k', 1000, 5, 1000)).totalHits).toBe(2);
  });

  it('counts in memory when Redis fails, is not connected, or is not configured, and still blocks', async () => {
    const failing = { isReady: true, evalSha: async () => Promise.reject(new Error('timeout')) };
    for (const client of [failing, { isReady: false }, undefined]) {
      const storage = storageWith(client);
      const hits = [];
      for (let i = 0; i < 3; i += 1) hits.push(await storage.increment('k', 60000, 2, 60000));
      expect(hits.map((hit) => hit.isBlocked)).toEqual([false, false, true]);
      expect(hits[2]?.timeToBlockExpire).toBeGreaterThan(0);
      storage.onApplicationShutdown();
    }
  });
});
