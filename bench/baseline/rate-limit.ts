import { createHash } from 'node:crypto';
import type { RedisClientType } from '@redis/client';
import { INCREMENT_SCRIPT } from '../../src/auth/rate-limit/rate-limit-scripts';
import { bounded } from './redis-deadline';

const SCRIPT_SHA1 = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window (or the block) ends. */
  resetSeconds: number;
}

/**
 * The general per-client limit, done plainly: a fixed-window counter per user (the same key as
 * Taskwright's `default` throttler), in Redis with Taskwright's own script when configured, in a
 * Map otherwise. Answers the same X-RateLimit-* headers.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { hits: number; resetsAt: number }>();

  constructor(
    private readonly redis: RedisClientType | undefined,
    private readonly keyPrefix: string,
    private readonly limit: number,
    private readonly ttlMs: number,
  ) {}

  async hit(tracker: string): Promise<RateDecision> {
    const key = `default:${createHash('sha256').update(tracker).digest('base64url')}`;
    if (this.redis?.isReady) {
      try {
        const hitsKey = `${this.keyPrefix}rate:${key}`;
        const options = { keys: [hitsKey, `${hitsKey}:blocked`], arguments: [String(this.ttlMs), String(this.limit), String(this.ttlMs)] };
        let reply: unknown;
        try {
          reply = await bounded(this.redis.evalSha(SCRIPT_SHA1, options));
        } catch (error) {
          if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
          reply = await bounded(this.redis.eval(INCREMENT_SCRIPT, options));
        }
        const [hits, windowMs, blockMs] = Array.isArray(reply) ? (reply as number[]) : [0, 0, 0];
        const blocked = (blockMs ?? 0) > 0;
        return {
          allowed: !blocked,
          limit: this.limit,
          remaining: Math.max(0, this.limit - (hits ?? 0)),
          resetSeconds: Math.max(0, Math.ceil((blocked ? (blockMs ?? 0) : (windowMs ?? 0)) / 1000)),
        };
      } catch {
        // fall through to memory, as Taskwright does
      }
    }
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.resetsAt <= now) {
      window = { hits: 0, resetsAt: now + this.ttlMs };
      this.windows.set(key, window);
    }
    window.hits += 1;
    return {
      allowed: window.hits <= this.limit,
      limit: this.limit,
      remaining: Math.max(0, this.limit - window.hits),
      resetSeconds: Math.ceil((window.resetsAt - now) / 1000),
    };
  }
}
