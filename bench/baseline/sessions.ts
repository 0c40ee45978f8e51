import type { RedisClientType } from '@redis/client';
import type { Pool } from 'pg';
import { ExpiringMap } from './expiring-map';
import type { AccessClaims } from './jwt';
import { bounded } from './redis-deadline';

type SessionState = 'active' | 'revoked';

const TOUCH_INTERVAL_MS = 60_000;

/**
 * Taskwright's per-request "is this session live?" check, without the framework: the same store
 * (the Redis key `<prefix>session:<sid>`, or a per-process map without Redis), the same PostgreSQL
 * query on a miss, the same remembering rules, and the same throttled last_used_at write.
 */
export class SessionCheck {
  private readonly local = new ExpiringMap<SessionState>(100_000);
  private readonly recentlyTouched = new ExpiringMap<true>(100_000);
  private readonly activeTtlSeconds: number;
  private readonly revokedTtlSeconds: number;

  constructor(
    private readonly pool: Pool,
    private readonly redis: RedisClientType | undefined,
    private readonly keyPrefix: string,
    accessTtlSeconds: number,
    activeCacheSeconds: number,
  ) {
    this.activeTtlSeconds = Math.min(accessTtlSeconds, activeCacheSeconds);
    this.revokedTtlSeconds = accessTtlSeconds;
  }

  async isActive(claims: AccessClaims): Promise<boolean> {
    const known = await this.read(claims.sid);
    if (known === 'revoked') return false;
    if (known === 'active') {
      this.touch(claims.sid);
      return true;
    }
    const { rows } = await this.pool.query<{ user_id: string; active: boolean; remaining_seconds: number }>(
      `SELECT s.user_id, (s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled) AS active,
              extract(epoch FROM s.expires_at - now())::float8 AS remaining_seconds
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1`,
      [claims.sid],
    );
    const row = rows[0];
    if (row === undefined || !row.active) {
      await this.remember(claims.sid, 'revoked', Number.POSITIVE_INFINITY);
      return false;
    }
    if (row.user_id !== claims.sub) return false;
    await this.remember(claims.sid, 'active', row.remaining_seconds);
    this.touch(claims.sid);
    return true;
  }

  private async read(sessionId: string): Promise<SessionState | undefined> {
    if (!this.redis) return this.local.get(sessionId);
    try {
      const value = await bounded(this.redis.get(this.key(sessionId)));
      return value === 'active' || value === 'revoked' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private async remember(sessionId: string, state: SessionState, maxSeconds: number): Promise<void> {
    const cap = state === 'active' ? this.activeTtlSeconds : this.revokedTtlSeconds;
    const ttl = Math.max(1, Math.floor(Math.min(cap, maxSeconds)));
    if (!this.redis) {
      if (state === 'active') this.local.setIfAbsent(sessionId, state, ttl * 1000);
      else this.local.set(sessionId, state, ttl * 1000);
      return;
    }
    try {
      await bounded(
        this.redis.set(this.key(sessionId), state, {
          expiration: { type: 'EX', value: ttl },
          ...(state === 'active' ? { condition: 'NX' as const } : {}),
        }),
      );
    } catch {
      // a failed write only costs a later lookup
    }
  }

  private touch(sessionId: string): void {
    if (!this.recentlyTouched.setIfAbsent(sessionId, true, TOUCH_INTERVAL_MS)) return;
    this.pool
      .query(`UPDATE "sessions" SET "last_used_at" = now() WHERE "id" = $1 AND last_used_at < now() - interval '1 minute'`, [sessionId])
      .catch(() => undefined);
  }

  private key(sessionId: string): string {
    return `${this.keyPrefix}session:${sessionId}`;
  }
}
