import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../config/app-config';
import { type RedisService, RedisUnavailableError } from '../../redis/redis.service';
import { INCREMENT_SCRIPT, REFUND_SCRIPT } from './rate-limit-scripts';
import { RedisThrottlerStorage, toThrottlerRecord } from './redis-throttler.storage';

describe('toThrottlerRecord', () => {
  it('turns the script reply into whole seconds, rounding up', () => {
    expect(toThrottlerRecord([3, 59001, 0])).toEqual({ totalHits: 3, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect(toThrottlerRecord([11, 1, 1])).toEqual({ totalHits: 11, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 });
    expect(toThrottlerRecord([4, -2, 0]).timeToExpire).toBe(0);
    expect(toThrottlerRecord([4, 1000, -5])).toEqual({ totalHits: 4, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 });
    expect(toThrottlerRecord([4, 0, 2500])).toEqual({ totalHits: 4, timeToExpire: 0, isBlocked: true, timeToBlockExpire: 3 });
  });

  it('refuses a reply of another shape', () => {
    expect(() => toThrottlerRecord('OK')).toThrow();
    expect(() => toThrottlerRecord([1, 2])).toThrow();
    expect(() => toThrottlerRecord([1, '2', 3])).toThrow();
    for (const reply of ['abc', [1, 2, 3, 4], ['1', '2', '3'], null]) expect(() => toThrottlerRecord(reply)).toThrow('unexpected rate-limit script reply');
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

  /**
   * A Redis that knows scripts only once they were sent with EVAL (as after a restart or a
   * SCRIPT FLUSH) and answers EVALSHA of a known script like EVAL: `run` stands in for Lua.
   */
  function scriptCachingRedis(run: (script: string, options: { keys: string[]; arguments: string[] }) => unknown) {
    const scripts = new Map<string, string>();
    const calls: string[] = [];
    const client = {
      isReady: true,
      evalSha: async (sha: string, options: { keys: string[]; arguments: string[] }) => {
        calls.push(`evalSha ${options.keys[0]}`);
        const script = scripts.get(sha);
        if (script === undefined) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        return run(script, options);
      },
      eval: async (script: string, options: { keys: string[]; arguments: string[] }) => {
        calls.push(`eval ${options.keys[0]}`);
        scripts.set(createHash('sha1').update(script).digest('hex'), script);
        return run(script, options);
      },
    };
    return { client, calls };
  }

  it('loads each script once, then runs it by its SHA-1', async () => {
    const seen: string[] = [];
    const { client, calls } = scriptCachingRedis((script, options) => {
      seen.push(script === INCREMENT_SCRIPT ? 'increment' : script === REFUND_SCRIPT ? 'refund' : 'other');
      return script === INCREMENT_SCRIPT ? [1, Number(options.arguments[0]), 0] : 0;
    });
    const storage = storageWith(client);
    await storage.increment('k', 1000, 5, 1000);
    await storage.increment('k', 1000, 5, 1000);
    await storage.refund('k');
    await storage.refund('k');
    expect(calls).toEqual(['evalSha pfx:rate:k', 'eval pfx:rate:k', 'evalSha pfx:rate:k', 'evalSha pfx:rate:k', 'eval pfx:rate:k', 'evalSha pfx:rate:k']);
    expect(seen).toEqual(['increment', 'increment', 'refund', 'refund']);
    expect(INCREMENT_SCRIPT).toContain("redis.call('INCR', KEYS[1])");
    expect(REFUND_SCRIPT).toContain("redis.call('DECR', KEYS[1])");
  });

  it('gives a hit back in Redis on the prefixed hits key', async () => {
    const calls: unknown[][] = [];
    const client = { isReady: true, evalSha: async (...args: unknown[]) => (calls.push(args), 0) };
    await storageWith(client).refund('default:abc');
    expect(calls).toEqual([[expect.stringMatching(/^[0-9a-f]{40}$/), { keys: ['pfx:rate:default:abc'], arguments: [] }]]);
  });

  it('gives hits back in memory when Redis fails or is not connected', async () => {
    const failing = { isReady: true, evalSha: async () => Promise.reject(new Error('timeout')) };
    for (const client of [failing, { isReady: false }]) {
      const storage = storageWith(client);
      await storage.increment('k', 60000, 2, 60000);
      await storage.increment('k', 60000, 2, 60000);
      await storage.refund('k');
      expect((await storage.increment('k', 60000, 2, 60000)).isBlocked).toBe(false);
      expect((await storage.increment('k', 60000, 2, 60000)).isBlocked).toBe(true);
      storage.onApplicationShutdown();
    }
  });

  it('warns about a failing Redis at most once every 10 seconds, with its reason', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const reasons: unknown[] = [new Error('Connection timeout'), 'a bare string', new Error('NOSCRIPT but the EVAL fails too')];
      const client = {
        isReady: true,
        evalSha: async () => Promise.reject(reasons[0]),
        eval: async () => Promise.reject(new Error('EVAL refused')),
      };
      const storage = storageWith(client);
      await storage.increment('k', 60000, 5, 60000);
      expect(warn).toHaveBeenLastCalledWith('rate limiting in memory, redis failed: Connection timeout');
      now += 10_000;
      await storage.refund('k');
      expect(warn).toHaveBeenCalledTimes(1);
      now += 1;
      reasons.shift();
      await storage.refund('k');
      expect(warn).toHaveBeenCalledTimes(2);
      expect(warn).toHaveBeenLastCalledWith('rate limiting in memory, redis failed: a bare string');
      now += 10_001;
      reasons.shift();
      await storage.increment('k', 60000, 5, 60000);
      expect(warn).toHaveBeenLastCalledWith('rate limiting in memory, redis failed: EVAL refused');
      now += 10_001;
      await storage.refund('k');
      expect(warn).toHaveBeenLastCalledWith('rate limiting in memory, redis failed: EVAL refused');
      expect(warn).toHaveBeenCalledTimes(4);
      storage.onApplicationShutdown();
    } finally {
      jest.restoreAllMocks();
    }
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

  it('counts in memory without a word of failure when Redis is not configured or not connected', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      // What RedisService does then: refuse every command at once.
      const redis = { available: false, call: async () => Promise.reject(new RedisUnavailableError('redis is not configured')) };
      const storage = new RedisThrottlerStorage(redis as unknown as RedisService, config);
      await storage.increment('k', 60000, 2, 60000);
      await storage.increment('k', 60000, 2, 60000);
      await storage.refund('k');
      expect((await storage.increment('k', 60000, 2, 60000)).isBlocked).toBe(false);
      expect((await storage.increment('k', 60000, 2, 60000)).isBlocked).toBe(true);
      expect(warn).not.toHaveBeenCalled();
      storage.onApplicationShutdown();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('sends EVAL only when Redis does not know the script, never after another error', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const calls: string[] = [];
      const client = {
        isReady: true,
        evalSha: async () => {
          calls.push('evalSha');
          throw new Error("READONLY You can't write against a read only replica.");
        },
        eval: async () => {
          calls.push('eval');
          return [1, 1000, 0];
        },
      };
      const storage = storageWith(client);
      await storage.increment('k', 60000, 1, 60000);
      await storage.refund('k');
      expect(calls).toEqual(['evalSha', 'evalSha']);
      // Both fell back to memory: the refunded hit leaves room for one more.
      expect((await storage.increment('k', 60000, 1, 60000)).isBlocked).toBe(false);
      expect(warn).toHaveBeenCalledWith("rate limiting in memory, redis failed: READONLY You can't write against a read only replica.");
      storage.onApplicationShutdown();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('leaves no timer behind once the app shuts down', () => {
    jest.useFakeTimers();
    try {
      const storage = storageWith(undefined);
      expect(jest.getTimerCount()).toBe(1);
      storage.onApplicationShutdown();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
