import { Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config';
import { type RedisClient, RedisService } from '../redis/redis.service';

export type SessionState = 'active' | 'revoked';

/**
 * Sessions remembered per instance when there is no Redis: capped, so an attacker minting sessions
 * cannot grow the maps without bound (losing an entry only costs a database lookup).
 */
const MAX_LOCAL_ENTRIES = 100_000;

/**
 * The per-request "is this session still valid?" answer, shared by every instance: a Redis key per
 * session when REDIS_URL is set, an in-process map otherwise (one instance only). `undefined`
 * means "not known here, ask PostgreSQL", which is also the answer when Redis fails or its circuit
 * is open: an instance cut off from Redis reads every session from PostgreSQL, and keeps no local
 * copy it could trust after reconnecting.
 *
 * An "active" answer lives SESSION_ACTIVE_CACHE_SECONDS. A revocation overwrites it at once; the
 * bound only matters when that overwrite failed (the revoking instance could not reach Redis while
 * the others can): they then see the revocation when the answer lapses, at most that long after.
 */
@Injectable()
export class SessionStateStore {
  private readonly logger = new Logger(SessionStateStore.name);
  private readonly local = new LRUCache<string, SessionState>({ max: MAX_LOCAL_ENTRIES });
  /** Revocations Redis did not take, kept while a stale "active" answer may still be cached there. */
  private readonly unpublished = new LRUCache<string, true>({ max: MAX_LOCAL_ENTRIES });
  /** A revoked answer must outlive every access token issued before the revocation. */
  private readonly revokedTtlSeconds: number;
  private readonly activeTtlSeconds: number;

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.revokedTtlSeconds = config.jwtAccessTtlSeconds;
    this.activeTtlSeconds = Math.min(config.jwtAccessTtlSeconds, config.sessionActiveCacheSeconds);
    redis.onResume(() => void this.republish());
  }

  async get(sessionId: string): Promise<SessionState | undefined> {
    if (!this.redis.enabled) return this.local.get(sessionId);
    try {
      const value = await this.redis.call((client) => client.get(this.key(sessionId)));
      return value === 'active' || value === 'revoked' ? value : undefined;
    } catch (error) {
      this.warn('read', error);
      return undefined;
    }
  }

  /**
   * Remembers a state read from PostgreSQL; failures only cost a later lookup. "active" never
   * overwrites an existing answer: a request that read the row just before a revocation committed
   * must not replace the revocation written meanwhile.
   */
  async remember(sessionId: string, state: SessionState, maxSeconds = Number.POSITIVE_INFINITY): Promise<void> {
    const cap = state === 'active' ? this.activeTtlSeconds : this.revokedTtlSeconds;
    const ttl = Math.max(1, Math.floor(Math.min(cap, maxSeconds)));
    const onlyIfAbsent = state === 'active';
    if (!this.redis.enabled) {
      if (!onlyIfAbsent || !this.local.has(sessionId)) this.local.set(sessionId, state, { ttl: ttl * 1000 });
      return;
    }
    try {
      await this.redis.call((client) =>
        client.set(this.key(sessionId), state, {
          expiration: { type: 'EX', value: ttl },
          ...(onlyIfAbsent ? { condition: 'NX' as const } : {}),
        }),
      );
    } catch (error) {
      this.warn('write', error);
    }
  }

  /**
   * Called after the revocation is committed and before the response is sent, so every instance
   * refuses these sessions' access tokens on the very next request.
   */
  async markRevoked(sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    if (!this.redis.enabled) {
      for (const id of sessionIds) this.local.set(id, 'revoked', { ttl: this.revokedTtlSeconds * 1000 });
      return;
    }
    try {
      await this.redis.call((client) => this.writeRevoked(client, sessionIds));
    } catch (error) {
      // PostgreSQL already says revoked, and instances that cannot reach Redis read it from there.
      // One that can may still hold a shared "active" for up to SESSION_ACTIVE_CACHE_SECONDS:
      // publish again as soon as this instance reaches Redis, if that comes sooner.
      for (const id of sessionIds) this.unpublished.set(id, true, { ttl: this.activeTtlSeconds * 1000 });
      this.logger.error(
        `could not publish ${sessionIds.length} session revocation(s) to redis; retrying on reconnect: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private async writeRevoked(client: RedisClient, sessionIds: readonly string[]): Promise<void> {
    const multi = client.multi();
    for (const id of sessionIds) multi.set(this.key(id), 'revoked', { expiration: { type: 'EX', value: this.revokedTtlSeconds } });
    await multi.exec();
  }

  private async republish(): Promise<void> {
    const ids = [...this.unpublished.keys()];
    if (ids.length === 0) return;
    try {
      await this.redis.call((client) => this.writeRevoked(client, ids));
      for (const id of ids) this.unpublished.delete(id);
      this.logger.log(`published ${ids.length} session revocation(s) that failed while redis was unavailable`);
    } catch {
      // Still failing: the next resume tries again, until the entries lapse.
    }
  }

  private key(sessionId: string): string {
    return `${this.config.redisKeyPrefix}session:${sessionId}`;
  }

  private lastWarnAt = 0;
  private warn(operation: string, error: unknown): void {
    if (Date.now() - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = Date.now();
    this.logger.warn(`session state ${operation} failed, using PostgreSQL: ${error instanceof Error ? error.message : String(error)}`);
  }
}
