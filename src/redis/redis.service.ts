import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createClient, type RedisClientType } from '@redis/client';
import { AppConfig } from '../config/app-config';

/**
 * The one Redis connection of the process (when REDIS_URL is set): the cache store, the rate
 * limiter and the session-revocation check share it. Every command is bounded by REDIS_TIMEOUT_MS
 * so a slow or absent Redis degrades service instead of hanging requests.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: RedisClientType | undefined;
  private lastErrorLoggedAt = 0;

  constructor(private readonly config: AppConfig) {
    if (config.redisUrl === undefined) return;
    this.client = createClient({
      url: config.redisUrl,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(config.redisTimeoutMs, 1000),
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
      },
      commandOptions: { timeout: config.redisTimeoutMs },
    }) as RedisClientType;
    this.client.on('error', (error: Error) => {
      // A dead Redis emits an error per reconnect attempt: log the first of each burst.
      if (Date.now() - this.lastErrorLoggedAt > 10000) {
        this.lastErrorLoggedAt = Date.now();
        this.logger.warn(`redis unavailable: ${error.message}`);
      }
    });
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  get isReady(): boolean {
    return this.client?.isReady ?? false;
  }

  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    // Start-up does not wait for Redis: the service works (degraded) without it.
    this.client.connect().catch((error: unknown) => {
      this.logger.warn(`redis connection failed at start-up: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async ping(): Promise<void> {
    if (!this.client) return;
    if (!this.client.isReady) throw new Error('redis is not connected');
    await this.client.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client?.isOpen) this.client.destroy();
  }
}
