import KeyvRedis from '@keyv/redis';
import type { KeyvEntry } from 'keyv';
import type { RedisClient, RedisService } from '../../redis/redis.service';

/**
 * @keyv/redis with every operation made through RedisService.call(), so the cache obeys the Redis
 * deadline and circuit breaker like every other consumer (and never reconnects the client itself).
 */
export class GuardedKeyvRedis extends KeyvRedis<string> {
  constructor(
    private readonly redis: RedisService,
    client: RedisClient,
  ) {
    super(client, { throwOnErrors: true, throwOnConnectError: true });
  }

  override get<U = string>(key: string): Promise<U | undefined> {
    return this.redis.call(() => super.get<U>(key));
  }

  override getMany<U = string>(keys: string[]): Promise<Array<U | undefined>> {
    return this.redis.call(() => super.getMany<U>(keys));
  }

  override set(key: string, value: string, ttl?: number): Promise<void> {
    return this.redis.call(() => super.set(key, value, ttl));
  }

  override setMany(entries: KeyvEntry[]): Promise<void> {
    return this.redis.call(() => super.setMany(entries));
  }

  override has(key: string): Promise<boolean> {
    return this.redis.call(() => super.has(key));
  }

  override hasMany(keys: string[]): Promise<boolean[]> {
    return this.redis.call(() => super.hasMany(keys));
  }

  override delete(key: string): Promise<boolean> {
    return this.redis.call(() => super.delete(key));
  }

  override deleteMany(keys: string[]): Promise<boolean> {
    return this.redis.call(() => super.deleteMany(keys));
  }

  override clear(): Promise<void> {
    return this.redis.call(() => super.clear());
  }

  /**
   * The cache module disconnects its stores on shutdown; the client is RedisService's, which
   * destroys it last. Closing it here would wait for every pending reply, forever during a partition.
   */
  override async disconnect(): Promise<void> {}
}
