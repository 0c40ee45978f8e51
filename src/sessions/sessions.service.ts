import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProblemException } from '../common/problem/problem.exception';
import { AppConfig } from '../config/app-config';
import type { AccessTokenClaims } from './access-token.service';
import { LRUCache } from 'lru-cache';
import { v7 as uuidv7 } from 'uuid';
import { classifyFailedRotation, issueRefreshToken, parseRefreshToken, SPENT_SECRETS_KEPT } from './refresh-token';
import type { Session, SessionRevocationReason } from './session.entity';
import { SessionStateStore } from './session-state.store';
import { SessionsRepository } from './sessions.repository';

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
    private readonly sessions: SessionsRepository,
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
    const opened = await this.sessions.insertForEnabledUser({
      id,
      userId,
      refreshTokenHash: hash,
      userAgent: userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      ttlSeconds: this.config.refreshTtlSeconds,
    });
    return opened ? { sessionId: id, refreshToken: token } : undefined;
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
    const userId = await this.sessions.rotate({
      sessionId: presented.sessionId,
      presentedHash: presented.hash,
      nextHash: next.hash,
      ttlSeconds: this.config.refreshTtlSeconds,
      spentKept: SPENT_SECRETS_KEPT,
    });
    if (userId !== undefined) return { sessionId: presented.sessionId, userId, refreshToken: next.token };

    const facts = await this.sessions.rotationFacts(presented.sessionId, presented.hash);
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
    const row = await this.sessions.activity(claims.sid);
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
    return this.sessions.listLive(userId);
  }

  /** Revokes one of the user's live sessions; false when it is not one of them. */
  async revoke(userId: string, sessionId: string, reason: SessionRevocationReason): Promise<boolean> {
    const ids = await this.sessions.endOne(sessionId, reason, userId);
    await this.publishRevocations(ids);
    return ids.length > 0;
  }

  /** Revokes every live session of the user except `keepSessionId`; returns how many. */
  async revokeAll(userId: string, reason: SessionRevocationReason, keepSessionId?: string): Promise<number> {
    const ids = await this.sessions.endAllOfUser(userId, reason, keepSessionId);
    await this.publishRevocations(ids);
    return ids.length;
  }

  /**
   * The database half of a revocation, for callers that change the user in the same transaction
   * (password change, disabling, deletion). They must call publishRevocations with the result
   * once the transaction has committed and before they answer.
   */
  endAllForUser(manager: EntityManager, userId: string, reason: SessionRevocationReason, keepSessionId?: string): Promise<string[]> {
    return this.sessions.endAllOfUser(userId, reason, keepSessionId, manager);
  }

  /** Makes committed revocations visible to every instance before the response is sent. */
  publishRevocations(sessionIds: readonly string[]): Promise<void> {
    return this.state.markRevoked(sessionIds);
  }

  private async revokeOne(sessionId: string, reason: SessionRevocationReason): Promise<boolean> {
    const ids = await this.sessions.endOne(sessionId, reason);
    await this.publishRevocations(ids);
    return ids.length > 0;
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
      .touch(sessionId)
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn(`could not record session use: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => this.pendingTouches.delete(write));
    this.pendingTouches.add(write);
  }

  private async purgeEnded(userId: string): Promise<void> {
    await this.sessions.purgeEnded(userId, ENDED_SESSION_RETENTION_DAYS);
  }
}
