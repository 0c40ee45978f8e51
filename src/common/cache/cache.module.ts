import { type CacheModuleOptions, CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import { Keyv } from 'keyv';
import { AppConfig } from '../../config/app-config';
import { RedisService } from '../../redis/redis.service';
import { BoundedMemoryStore } from './bounded-memory-store';
import { GuardedKeyvRedis } from './guarded-keyv-redis';
import { UserCacheInvalidationInterceptor } from './user-cache-invalidation.interceptor';
import { UserCacheService } from './user-cache.service';

/** What @keyv/redis's createKeyv builds (keys unprefixed by Keyv), over the guarded store. */
function redisKeyv(redis: RedisService, client: NonNullable<RedisService['client']>): Keyv {
  const keyv = new Keyv(new GuardedKeyvRedis(redis, client), { useKeyPrefix: false });
  keyv.namespace = undefined;
  return keyv;
}

/** The in-process store: values kept as they are (no serialisation), bounded by memory. */
function memoryKeyv(maxMb: number): Keyv {
  const keyv = new Keyv({ store: new BoundedMemoryStore(maxMb * 1024 * 1024) });
  keyv.serialize = undefined;
  keyv.deserialize = undefined;
  return keyv;
}

/**
 * cache-manager over a Keyv store: the shared Redis connection when REDIS_URL is set, a
 * memory-bounded in-process LRU otherwise. Store errors are thrown (not swallowed) so
 * UserCacheService can tell an outage from a miss.
 */
@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      inject: [AppConfig, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => {
        const store = redis.client ? redisKeyv(redis, redis.client) : memoryKeyv(config.cacheMemoryMaxMb);
        store.throwOnErrors = true;
        // Same Keyv class, but typed once through CommonJS (ours) and once through ESM (Nest's).
        return { stores: [store], ttl: config.cacheTtlMs } as unknown as CacheModuleOptions;
      },
    }),
  ],
  providers: [UserCacheService, UserCacheInvalidationInterceptor],
  // HttpCachingInterceptor is global: AppModule registers it, once, as APP_INTERCEPTOR.
  exports: [UserCacheService, UserCacheInvalidationInterceptor],
})
export class CacheModule {}
