import { createHash, randomUUID } from 'node:crypto';
import type { RedisClientType } from '@redis/client';
import { bounded } from './redis-deadline';

interface Entry {
  globalGeneration: string;
  userGeneration: string;
  etag: string;
  json: string;
}

export interface Lookup {
  hit: boolean;
  etag?: string;
  json?: string;
  store(json: string, etag: string): void;
}

const GENERATION_TTL_MS = 7 * 24 * 3600 * 1000;
const MEMORY_ENTRIES = 50_000;
const BYPASS: Lookup = { hit: false, store: () => undefined };

/**
 * Taskwright's user-scoped cache scheme without cache-manager/Keyv/rxjs: per read one MGET of
 * [global generation, user generation, entry] (an entry holds the JSON text sent and its ETag) (Redis, or a Map without Redis), an entry valid only
 * under the generations it was read with, and a write bumping the user's generation. Its keys have
 * their own prefix, so the two servers never serve each other's entries.
 */
export class UserCache {
  private readonly memory = new Map<string, { value: unknown; expiresAt: number }>();
  private readonly prefix: string;
  private flushed = false;

  constructor(
    private readonly redis: RedisClientType | undefined,
    keyPrefix: string,
    private readonly ttlMs: number,
  ) {
    this.prefix = `${keyPrefix}baseline-cache:`;
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  async lookup(userId: string, requestKey: string): Promise<Lookup> {
    if (!this.enabled) return BYPASS;
    const keys = [
      `${this.prefix}g`,
      `${this.prefix}u:${userId}`,
      `${this.prefix}e:${userId}:${createHash('sha256').update(requestKey).digest('base64url')}`,
    ] as const;
    try {
      if (!this.flushed) {
        await this.set(keys[0], randomUUID(), GENERATION_TTL_MS);
        this.flushed = true;
      }
      const values = await this.getMany(keys);
      let [globalGeneration, userGeneration] = values;
      const entry = values[2] as Entry | undefined;
      if (typeof globalGeneration !== 'string') {
        globalGeneration = randomUUID();
        await this.set(keys[0], globalGeneration, GENERATION_TTL_MS);
      }
      if (typeof userGeneration !== 'string') {
        userGeneration = randomUUID();
        await this.set(keys[1], userGeneration, GENERATION_TTL_MS);
      }
      if (entry && entry.globalGeneration === globalGeneration && entry.userGeneration === userGeneration) {
        return { hit: true, etag: entry.etag, json: entry.json, store: () => undefined };
      }
      const generations = { globalGeneration, userGeneration } as { globalGeneration: string; userGeneration: string };
      return {
        hit: false,
        store: (json, etag) => {
          this.set(keys[2], { ...generations, etag, json }, this.ttlMs).catch(() => {
            this.flushed = false;
          });
        },
      };
    } catch {
      this.flushed = false;
      return BYPASS;
    }
  }

  /**
   * Replaces the generation of each of these users: one SET for one user, one MULTI of SETs (one
   * round trip, as Taskwright's MSET) for several, e.g. everyone who can see a changed task.
   */
  async invalidate(...userIds: string[]): Promise<void> {
    if (!this.enabled || userIds.length === 0) return;
    const keys = [...new Set(userIds)].map((userId) => `${this.prefix}u:${userId}`);
    try {
      if (keys.length === 1 || !this.redis) {
        for (const key of keys) await this.set(key, randomUUID(), GENERATION_TTL_MS);
        return;
      }
      const multi = this.redis.multi();
      for (const key of keys) multi.set(key, JSON.stringify(randomUUID()), { expiration: { type: 'PX', value: GENERATION_TTL_MS } });
      await bounded(multi.exec());
    } catch {
      this.flushed = false;
    }
  }

  private async getMany(keys: readonly string[]): Promise<unknown[]> {
    if (this.redis) {
      const raw = await bounded(this.redis.mGet([...keys]));
      return raw.map((value) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : undefined));
    }
    const now = Date.now();
    return keys.map((key) => {
      const slot = this.memory.get(key);
      if (!slot) return undefined;
      if (slot.expiresAt <= now) {
        this.memory.delete(key);
        return undefined;
      }
      return slot.value;
    });
  }

  private async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (this.redis) {
      await bounded(this.redis.set(key, JSON.stringify(value), { expiration: { type: 'PX', value: ttlMs } }));
      return;
    }
    this.memory.delete(key);
    this.memory.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (this.memory.size > MEMORY_ENTRIES) {
      const oldest = this.memory.keys().next();
      if (!oldest.done) this.memory.delete(oldest.value);
    }
  }
}

/** Method, path and the query with sorted parameters, as Taskwright keys its cache. */
export function requestCacheKey(method: string, url: string): string {
  const parsed = new URL(url, 'http://local');
  const params = [...parsed.searchParams.entries()].sort(([a, av], [b, bv]) => (a === b ? av.localeCompare(bv) : a.localeCompare(b)));
  return `${method} ${parsed.pathname}?${new URLSearchParams(params).toString()}`;
}
