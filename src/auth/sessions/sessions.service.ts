import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import type { EntityManager, Repository } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ProblemException } from '../../common/problem/problem.exception';
import { AppConfig } from '../../config/app-config';
import type { AccessTokenClaims } from './access-token.service';
import { queryRows } from './query-rows';
import { classifyFailedRotation, issueRefreshToken, parseRefreshToken, SPENT_SECRETS_KEPT } from './refresh-token';
import { Session, type SessionRevocationReason } from './session.entity';
import { SessionStateStore } from './session-state.store';

export interface OpenedSession {
  sessionId: string;
  refreshToken: string;
}

export interface RotatedSession extends OpenedSession {
  userId: string;
}

/** lastUsedAt is written at most this often per session and instance. */
const TOUCH_INTERVAL_MS = 60_000;
/** Ended sessions are kept this long (for support and the audit trail), then purged at the user's next login. */
const ENDED_SESSION_RETENTION_DAYS = 30;
const USER_AGENT_MAX_LENGTH = 512;

function invalidRefreshToken(detail: string): ProblemException {
  return new ProblemException(401, 'invalid-refresh-token', detail);
}

/**
 * Server-side sessions: opening one per login, rotating its refresh token, answering "is this
 * access token's session still valid?" on every request, and revoking. PostgreSQL is the truth;
 * SessionStateStore makes the per-request answer cheap and shares revocations across instances.
 */
@Injectable()
export class SessionsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SessionsService.name);
  /** Capped so an attacker minting sessions cannot grow these maps; losing an entry costs a lookup. */
  private readonly recentlyTouched = new LRUCache<string, true>({ max: 100_000, ttl: TOUCH_INTERVAL_MS });
  /**
   * The user of each session this instance read from PostgreSQL. The shared state store says only
   * "active", not whose: a cached answer is trusted for a token only when its `sub` is the user
   * known here, else PostgreSQL is asked again.
   */
  private readonly sessionOwners = new LRUCache<string, string>({ max: 100_000 });
  private readonly pendingTouches = new Set<Promise<void>>();

  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly state: SessionStateStore,
    private readonly config: AppConfig,
  ) {}

  /**
   * Opens a session for the user; undefined when the account is disabled (or gone) by the time the
   * row is written, so a login racing an admin's "disable" cannot leave a live session behind.
   */
  async open(userId: string, userAgent: string | undefined): Promise<OpenedSession | undefined> {
    await this.purgeEnded(userId);
    const id = uuidv7();
    const { token, hash } = issueRefreshToken(id);
    const rows = await queryRows<{ id: string }>(
      this.sessions.manager,
      `INSERT INTO sessions (id, user_id, refresh_token_hash, user_agent, created_at, last_used_at, expires_at)
       SELECT $1, u.id, $3, $4, now(), now(), now() + make_interval(secs => $5)
       FROM users u WHERE u.id = $2 AND NOT u.disabled
       RETURNING id`,
      [id, userId, hash, userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null, this.config.refreshTtlSeconds],
    );
    return rows.length === 0 ? undefined : { sessionId: id, refreshToken: token };
  }

  /**
   * Spends a refresh token and issues the next one. The conditional UPDATE matches only the current
   * token of a live session, so of two concurrent refreshes with one token exactly one wins; a
   * token that is no longer current is treated as stolen and its whole session is revoked.
   */
  async rotate(refreshToken: string): Promise<RotatedSession> {
    const presented = parseRefreshToken(refreshToken);
    if (!presented) throw invalidRefreshToken('The refresh token is not valid');
    const next = issueRefreshToken(presented.sessionId);
    const rotated = await queryRows<{ user_id: string }>(
      this.sessions.manager,
      `UPDATE sessions s
       SET refresh_token_hash = $3, rotation_count = s.rotation_count + 1, last_used_at = now(),
           expires_at = now() + make_interval(secs => $4),
           spent_refresh_token_hashes = (array_prepend(s.refresh_token_hash, s.spent_refresh_token_hashes))[1:$5]
       WHERE s.id = $1 AND s.refresh_token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
         AND EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND NOT u.disabled)
       RETURNING s.user_id`,
      [presented.sessionId, presented.hash, next.hash, this.config.refreshTtlSeconds, SPENT_SECRETS_KEPT],
    );
    const userId = rotated[0]?.user_id;
    if (userId !== undefined) return { sessionId: presented.sessionId, userId, refreshToken: next.token };

    const [facts] = await queryRows<{ user_id: string; revoked: boolean; current: boolean; spent: boolean; expired: boolean }>(
      this.sessions.manager,
      `SELECT s.user_id, (s.revoked_at IS NOT NULL OR u.disabled) AS revoked,
              s.refresh_token_hash = $2 AS current, $2 = ANY (s.spent_refresh_token_hashes) AS spent,
              s.expires_at <= now() AS expired
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1`,
      [presented.sessionId, presented.hash],
    );
    const failure = classifyFailedRotation({
      exists: facts !== undefined,
      revoked: facts?.revoked ?? false,
      current: facts?.current ?? false,
      spent: facts?.spent ?? false,
      expired: facts?.expired ?? false,
    });
    switch (failure) {
      case 'token-reused': {
        const revoked = await this.revokeOne(presented.sessionId, 'refresh-token-reuse');
        this.logger.warn({ sessionId: presented.sessionId, userId: facts?.user_id, revoked }, 'spent refresh token presented again: session revoked');
        throw new ProblemException(
          401,
          'token-reuse-detected',
          'This refresh token was already used. The session has been revoked as a precaution; log in again',
        );
      }
      case 'session-expired':
        throw invalidRefreshToken('The session has expired; log in again');
      case 'session-ended':
        throw invalidRefreshToken('The session has ended; log in again');
      case 'unknown-session':
      case 'wrong-secret':
        throw invalidRefreshToken('The refresh token is not valid');
    }
  }

  /**
   * The per-request check behind every protected route: is the access token's session live? A
   * cached answer when there is one, PostgreSQL otherwise (and whenever Redis fails).
   */
  async isActive(claims: AccessTokenClaims): Promise<boolean> {
    const known = await this.state.get(claims.sid);
    if (known === 'revoked') return false;
    if (known === 'active') {
      const owner = this.sessionOwners.get(claims.sid);
      if (owner !== undefined && owner !== claims.sub) return false;
      if (owner === claims.sub) {
        this.touch(claims.sid);
        return true;
      }
    }
    const [row] = await queryRows<{ user_id: string; active: boolean; remaining_seconds: number }>(
      this.sessions.manager,
      `SELECT s.user_id, (s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled) AS active,
              extract(epoch FROM s.expires_at - now())::float8 AS remaining_seconds
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1`,
      [claims.sid],
    );
    if (row === undefined || !row.active) {
      await this.state.remember(claims.sid, 'revoked');
      return false;
    }
    // Only a token signed with our secret can name another user's session: refuse it, but do not
    // let it poison the cached answer for the session's owner.
    if (row.user_id !== claims.sub) return false;
    this.sessionOwners.set(claims.sid, row.user_id, { ttl: this.config.refreshTtlSeconds * 1000 });
    await this.state.remember(claims.sid, 'active', row.remaining_seconds);
    this.touch(claims.sid);
    return true;
  }

  /** The user's live sessions, newest first. */
  listActive(userId: string): Promise<Session[]> {
    return this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId', { userId })
      .andWhere('s.revoked_at IS NULL')
      .andWhere('s.expires_at > now()')
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
  }

  /** Revokes one of the user's live sessions; false when it is not one of them. */
  async revoke(userId: string, sessionId: string, reason: SessionRevocationReason): Promise<boolean> {
    const ids = await this.endSessions(this.sessions.manager, 's.id = $1 AND s.user_id = $2', [sessionId, userId], reason);
    await this.publishRevocations(ids);
    return ids.length > 0;
  }

  /** Revokes every live session of the user except `keepSessionId`; returns how many. */
  async revokeAll(userId: string, reason: SessionRevocationReason, keepSessionId?: string): Promise<number> {
    const ids = await this.endAllForUser(this.sessions.manager, userId, reason, keepSessionId);
    await this.publishRevocations(ids);
    return ids.length;
  }

  /**
   * The database half of a revocation, for callers that change the user in the same transaction
   * (password change, disabling, deletion). They must call publishRevocations with the result
   * once the transaction has committed and before they answer.
   */
  endAllForUser(manager: EntityManager, userId: string, reason: SessionRevocationReason, keepSessionId?: string): Promise<string[]> {
    return keepSessionId === undefined
      ? this.endSessions(manager, 's.user_id = $1', [userId], reason)
      : this.endSessions(manager, 's.user_id = $1 AND s.id <> $2', [userId, keepSessionId], reason);
  }

  /** Makes committed revocations visible to every instance before the response is sent. */
  publishRevocations(sessionIds: readonly string[]): Promise<void> {
    return this.state.markRevoked(sessionIds);
  }

  private async revokeOne(sessionId: string, reason: SessionRevocationReason): Promise<boolean> {
    const ids = await this.endSessions(this.sessions.manager, 's.id = $1', [sessionId], reason);
    await this.publishRevocations(ids);
    return ids.length > 0;
  }

  private async endSessions(manager: EntityManager, condition: string, parameters: unknown[], reason: SessionRevocationReason): Promise<string[]> {
    const reasonParameter = `$${parameters.length + 1}`;
    const rows = await queryRows<{ id: string }>(
      manager,
      `UPDATE sessions s SET revoked_at = now(), revoked_reason = ${reasonParameter}
       WHERE ${condition} AND s.revoked_at IS NULL AND s.expires_at > now()
       RETURNING s.id`,
      [...parameters, reason],
    );
    return rows.map((row) => row.id);
  }

  /** Lets the lastUsedAt writes still in flight finish before the database pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pendingTouches]);
  }

  /**
   * lastUsedAt is informative (GET /sessions): one write a minute per session is plenty, and the
   * request does not wait for it.
   */
  private touch(sessionId: string): void {
    if (this.recentlyTouched.has(sessionId)) return;
    this.recentlyTouched.set(sessionId, true);
    const write = this.sessions
      .createQueryBuilder()
      .update(Session)
      .set({ lastUsedAt: () => 'now()' })
      .where('id = :sessionId', { sessionId })
      .andWhere(`last_used_at < now() - interval '1 minute'`)
      .execute()
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn(`could not record session use: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => this.pendingTouches.delete(write));
    this.pendingTouches.add(write);
  }

  private async purgeEnded(userId: string): Promise<void> {
    await queryRows(
      this.sessions.manager,
      `DELETE FROM sessions
       WHERE user_id = $1
         AND (revoked_at < now() - make_interval(days => $2) OR expires_at < now() - make_interval(days => $2))`,
      [userId, ENDED_SESSION_RETENTION_DAYS],
    );
  }
}
