import type { RedisClientOptions } from '@redis/client';
import type { AppConfig } from '../config/app-config';

/**
 * How a Redis client is set up here (the benchmark's baseline uses the same): commands fail at
 * once while disconnected instead of queueing, each has a reply deadline, and a dead socket is
 * noticed within a ping interval plus a deadline.
 */
export function redisClientOptions(url: string, config: Pick<AppConfig, 'redisTimeoutMs' | 'redisPingIntervalMs'>): RedisClientOptions {
  return {
    url,
    disableOfflineQueue: true,
    pingInterval: config.redisPingIntervalMs,
    socket: {
      connectTimeout: Math.max(config.redisTimeoutMs, 1000),
      socketTimeout: config.redisPingIntervalMs + config.redisTimeoutMs,
      // Capped low so a restored Redis is used again within about a second.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500),
    },
    commandOptions: { timeout: config.redisTimeoutMs },
  };
}
