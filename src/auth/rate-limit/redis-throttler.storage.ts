import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { RedisService } from '../../redis/redis.service';
import { FixedWindowCounters } from './fixed-window-counters';
import { INCREMENT_SCRIPT, REFUND_SCRIPT } from './rate-limit-scripts';

/** The package does not export its record type by name. */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const SCRIPT_SHA1 = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

const REFUND_SHA1 = createHash('sha1').update(REFUND_SCRIPT).digest('hex');

/** Turns the script's reply into what ThrottlerGuard expects (times in whole seconds). */
export function toThrottlerRecord(reply: unknown): ThrottlerStorageRecord {
  if (!Array.isArray(reply) || reply.length !== 3 || !reply.every((n) => typeof n === 'number')) {
    throw new Error('unexpected rate-limit script reply');
  }
  const [hits, windowMs, blockMs] = reply as [number, number, number];
  return {
    totalHits: hits,
    timeToExpire: Math.max(0, Math.ceil(windowMs / 1000)),
    isBlocked: blockMs > 0,
    timeToBlockExpire: Math.max(0, Math.ceil(blockMs / 1000)),
  };
}

/**
 * Rate-limit counters in Redis, so every instance shares one budget per client. When Redis is not
 * configured, or fails or times out, the counting falls back to this instance's memory (the same
 * fixed windows and blocks as the script): limits then hold per instance instead of failing every
 * request.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly local = new FixedWindowCounters();
  private lastWarnAt = 0;

  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  // The key already names its throttler (rateLimitKey), so the fifth argument, the throttler name, is not needed.
  async increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    if (!this.redis.available) return toThrottlerRecord(this.local.hit(key, ttl, limit, blockDuration));
    const hitsKey = `${this.config.redisKeyPrefix}rate:${key}`;
    const options = { keys: [hitsKey, `${hitsKey}:blocked`], arguments: [String(ttl), String(limit), String(blockDuration)] };
    try {
      let reply: unknown;
      try {
        reply = await this.redis.call((client) => client.evalSha(SCRIPT_SHA1, options));
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        reply = await this.redis.call((client) => client.eval(INCREMENT_SCRIPT, options));
      }
      return toThrottlerRecord(reply);
    } catch (error) {
      this.warn(error);
      return toThrottlerRecord(this.local.hit(key, ttl, limit, blockDuration));
    }
  }

  /**
   * Gives back one hit of `key`'s current window (see FixedWindowCounters.refund): the script
   * deleted the hits key when it started a block, so a block is never shortened. Same fallback as
   * `increment`.
   */
  async refund(key: string): Promise<void> {
    if (!this.redis.available) return this.local.refund(key);
    const options = { keys: [`${this.config.redisKeyPrefix}rate:${key}`], arguments: [] };
    try {
      try {
        await this.redis.call((client) => client.evalSha(REFUND_SHA1, options));
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        await this.redis.call((client) => client.eval(REFUND_SCRIPT, options));
      }
    } catch (error) {
      this.warn(error);
      this.local.refund(key);
    }
  }

  onApplicationShutdown(): void {
    this.local.stop();
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarnAt <= 10_000) return;
    this.lastWarnAt = Date.now();
    this.logger.warn(`rate limiting in memory, redis failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
