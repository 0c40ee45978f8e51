import { type CacheModuleOptions, CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import { createKeyv as createMemoryKeyv } from '@cacheable/memory';
import { createKeyv as createRedisKeyv } from '@keyv/redis';
import { AppConfig } from '../../config/app-config';
import { RedisService } from '../../redis/redis.service';
import { UserCacheInterceptor } from './user-cache.interceptor';
import { UserCacheInvalidationInterceptor } from './user-cache-invalidation.interceptor';
import { UserCacheService } from './user-cache.service';

/** Bounds the in-process store: an LRU of this many entries per instance. */
const MEMORY_CACHE_ENTRIES = 50_000;

/**
 * cache-manager over a Keyv store: the shared Redis connection when REDIS_URL is set, a bounded
 * in-process LRU otherwise. Store errors are thrown (not swallowed) so UserCacheService can tell
 * an outage from a miss.
 */
@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      inject: [AppConfig, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => {
        // In process: one map, not 16 shards; sharding hashes every key on every read (a
        // profiled 4 µs per request) and buys nothing at 50,000 entries.
        const store = redis.client
          ? createRedisKeyv(redis.client, { throwOnErrors: true, throwOnConnectError: true })
          : createMemoryKeyv({ lruSize: MEMORY_CACHE_ENTRIES, useClone: false, storeHashSize: 1 });
        store.throwOnErrors = true;
        // Same Keyv class, but typed once through CommonJS (ours) and once through ESM (Nest's).
        return { stores: [store], ttl: config.cacheTtlMs } as unknown as CacheModuleOptions;
      },
    }),
  ],
  providers: [UserCacheService, UserCacheInterceptor, UserCacheInvalidationInterceptor],
  exports: [UserCacheService, UserCacheInterceptor, UserCacheInvalidationInterceptor],
})
export class CacheModule {}
