import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { createHash, randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { RedisService, RedisUnavailableError } from '../../redis/redis.service';

/**
 * A cached response: the JSON text sent and its ETag, valid only while both generations it was
 * read under are current.
 */
interface CacheEntry {
  globalGeneration: string;
  userGeneration: string;
  etag: string;
  json: string;
}

/** What a lookup found; `store` saves a fresh response under the generations seen by the lookup. */
export type CacheLookup =
  { hit: true; etag: string; json: string; store(json: string, etag: string): void } | { hit: false; store(json: string, etag: string): void };

export type CacheOutcome = 'hit' | 'miss' | 'error';
export type CacheOutcomeListener = (outcome: CacheOutcome) => void;

/** Generation keys outlive any entry by far, so an entry can never outlive its generation. */
const GENERATION_TTL_MS = 7 * 24 * 3600 * 1000;

const BYPASS: CacheLookup = { hit: false, store: () => undefined };

/**
 * Per-user response cache with generation-based invalidation.
 *
 * An entry's key holds the user id and the normalised request; its value records the global and
 * the user's generation at the moment the read began. A write replaces the user's generation
 * (before its response is sent), so every entry read earlier, on every instance sharing the
 * store, stops matching at once. One MGET per read answers both "which generation" and "what
 * entry". A generation is never defaulted: a missing one is replaced by a fresh random value,
 * so an evicted generation cannot resurrect old entries.
 *
 * Any store error turns the cache off for this instance until it has replaced the global
 * generation, so entries that an invalidation failed to reach during an outage are never
 * served after Redis returns; meanwhile everything is read from PostgreSQL.
 */
@Injectable()
export class UserCacheService {
  private readonly logger = new Logger(UserCacheService.name);
  private readonly prefix: string;
  private readonly listeners: CacheOutcomeListener[] = [];
  private needsGlobalFlush = true;
  private flushing: Promise<boolean> | undefined;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly config: AppConfig,
    private readonly redis: RedisService,
    @Optional() metrics?: MetricsService,
  ) {
    this.prefix = `${config.redisKeyPrefix}cache:`;
    // A reconnect means the store may have lost invalidations (or everything): start over.
    redis.onResume(() => {
      this.needsGlobalFlush = true;
    });
    if (metrics) {
      this.onOutcome((outcome) => {
        if (outcome === 'hit') metrics.cacheHit();
        else if (outcome === 'miss') metrics.cacheMiss();
        else metrics.cacheError();
      });
    }
  }

  get enabled(): boolean {
    return this.config.cacheTtlMs > 0;
  }

  onOutcome(listener: CacheOutcomeListener): void {
    this.listeners.push(listener);
  }

  /** Counted by the metrics (cache_operations_total); a failure is also logged, by `failed`. */
  private report(outcome: CacheOutcome): void {
    for (const listener of this.listeners) listener(outcome);
  }

  private failed(operation: string, error: unknown): void {
    this.needsGlobalFlush = true;
    this.report('error');
    // While the circuit is open every request lands here: RedisService logs the outage once.
    if (error instanceof RedisUnavailableError && !this.redis.available) return;
    this.logger.warn(`cache ${operation} failed, serving from PostgreSQL: ${error instanceof Error ? error.message : String(error)}`);
  }

  private globalKey(): string {
    return `${this.prefix}g`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}u:${userId}`;
  }

  private entryKey(userId: string, requestKey: string): string {
    return `${this.prefix}e:${userId}:${createHash('sha256').update(requestKey).digest('base64url')}`;
  }

  private async ensureFlushed(): Promise<boolean> {
    if (!this.needsGlobalFlush) return true;
    this.flushing ??= this.cache
      .set(this.globalKey(), randomUUID(), GENERATION_TTL_MS)
      .then(() => {
        this.needsGlobalFlush = false;
        return true;
      })
      .catch((error: unknown) => {
        this.failed('flush', error);
        return false;
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /**
   * Looks up the cached response of `requestKey` (method, path and normalised query, never
   * headers) for `userId`.
   */
  async lookup(userId: string, requestKey: string): Promise<CacheLookup> {
    if (!this.enabled || !(await this.ensureFlushed())) return BYPASS;
    const keys = [this.globalKey(), this.userKey(userId), this.entryKey(userId, requestKey)];
    let values: Array<unknown>;
    try {
      values = await this.cache.mget<unknown>(keys);
    } catch (error) {
      // Stryker disable next-line StringLiteral: unreachable with cache-manager 7, whose mget answers undefined for a store that fails (the generations are then replaced) instead of rejecting
      this.failed('read', error);
      return BYPASS;
    }
    let [globalGeneration, userGeneration] = values;
    const entry = values[2] as CacheEntry | undefined;
    try {
      if (typeof globalGeneration !== 'string') {
        globalGeneration = randomUUID();
        await this.cache.set(keys[0] as string, globalGeneration, GENERATION_TTL_MS);
      }
      if (typeof userGeneration !== 'string') {
        userGeneration = randomUUID();
        await this.cache.set(keys[1] as string, userGeneration, GENERATION_TTL_MS);
      }
    } catch (error) {
      this.failed('generation', error);
      return BYPASS;
    }
    if (
      entry &&
      entry.globalGeneration === globalGeneration &&
      entry.userGeneration === userGeneration &&
      typeof entry.json === 'string' &&
      typeof entry.etag === 'string'
    ) {
      this.report('hit');
      return { hit: true, etag: entry.etag, json: entry.json, store: () => undefined };
    }
    this.report('miss');
    const entryKey = keys[2] as string;
    const generations = { globalGeneration, userGeneration } as { globalGeneration: string; userGeneration: string };
    return {
      hit: false,
      store: (json, etag) => {
        const value: CacheEntry = { ...generations, etag, json };
        // Not awaited: the entry is only ever valid under the generations read above.
        this.cache.set(entryKey, value, this.config.cacheTtlMs).catch((error: unknown) => this.failed('write', error));
      },
    };
  }

  /**
   * Makes every cached read of these users stale, on every instance sharing the store, in one
   * write (one MSET on Redis). Awaited by writes before their response is sent.
   */
  async invalidate(...userIds: string[]): Promise<void> {
    if (!this.enabled || userIds.length === 0) return;
    const keys = [...new Set(userIds)].map((userId) => ({ key: this.userKey(userId), value: randomUUID(), ttl: GENERATION_TTL_MS }));
    const [only] = keys;
    try {
      // One user (most writes) is one SET; MSET costs a MULTI/EXEC around it on Redis.
      if (keys.length === 1 && only) await this.cache.set(only.key, only.value, only.ttl);
      else await this.cache.mset(keys);
    } catch (error) {
      this.failed('invalidate', error);
    }
  }
}
