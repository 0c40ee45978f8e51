import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { Session, type SessionRevocationReason } from './session.entity';

/** What PostgreSQL says about a session whose rotation matched no row (see classifyFailedRotation). */
interface RotationFactsRow {
  user_id: string;
  revoked: boolean;
  current: boolean;
  spent: boolean;
  expired: boolean;
}

/** Whether a session is live right now, whose it is, and how long it has left. */
interface SessionActivityRow {
  user_id: string;
  active: boolean;
  remaining_seconds: number;
}

interface NewSession {
  id: string;
  userId: string;
  refreshTokenHash: Buffer;
  userAgent: string | null;
  ttlSeconds: number;
}

interface Rotation {
  sessionId: string;
  presentedHash: Buffer;
  nextHash: Buffer;
  ttlSeconds: number;
  /** How many spent secrets the session keeps. */
  spentKept: number;
}

/**
 * The sessions table. Hand-written SQL where one statement must decide atomically (open only for
 * an enabled account, rotate only the current secret of a live session, end only live sessions,
 * each answering with RETURNING); TypeORM's builder for the plain reads and writes.
 */
@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(Session) private readonly sessions: Repository<Session>) {}

  /** False when the account is disabled or gone by the time the row would be written. */
  async insertForEnabledUser(session: NewSession): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.sessions.manager,
      `INSERT INTO sessions (id, user_id, refresh_token_hash, user_agent, created_at, last_used_at, expires_at)
       SELECT $1, u.id, $3, $4, now(), now(), now() + make_interval(secs => $5)
       FROM users u WHERE u.id = $2 AND NOT u.disabled
       RETURNING id`,
      [session.id, session.userId, session.refreshTokenHash, session.userAgent, session.ttlSeconds],
    );
    return rows.length > 0;
  }

  /**
   * Replaces the current secret when `presentedHash` is it, on a live session of an enabled
   * account, and returns the session's user; undefined when nothing matched.
   */
  async rotate(rotation: Rotation): Promise<string | undefined> {
    const rotated = await queryRows<{ user_id: string }>(
      this.sessions.manager,
      `UPDATE sessions s
       SET refresh_token_hash = $3, rotation_count = s.rotation_count + 1, last_used_at = now(),
           expires_at = now() + make_interval(secs => $4),
           spent_refresh_token_hashes = (array_prepend(s.refresh_token_hash, s.spent_refresh_token_hashes))[1:$5]
       WHERE s.id = $1 AND s.refresh_token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
         AND EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND NOT u.disabled)
       RETURNING s.user_id`,
      [rotation.sessionId, rotation.presentedHash, rotation.nextHash, rotation.ttlSeconds, rotation.spentKept],
    );
    return rotated[0]?.user_id;
  }

  async rotationFacts(sessionId: string, presentedHash: Buffer): Promise<RotationFactsRow | undefined> {
    const [facts] = await queryRows<RotationFactsRow>(
      this.sessions.manager,
      `SELECT s.user_id, (s.revoked_at IS NOT NULL OR u.disabled) AS revoked,
              s.refresh_token_hash = $2 AS current, $2 = ANY (s.spent_refresh_token_hashes) AS spent,
              s.expires_at <= now() AS expired
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1`,
      [sessionId, presentedHash],
    );
    return facts;
  }

  async activity(sessionId: string): Promise<SessionActivityRow | undefined> {
    const [row] = await queryRows<SessionActivityRow>(
      this.sessions.manager,
      `SELECT s.user_id, (s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled) AS active,
              extract(epoch FROM s.expires_at - now())::float8 AS remaining_seconds
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1`,
      [sessionId],
    );
    return row;
  }

  /** The user's live sessions, newest first. */
  listLive(userId: string): Promise<Session[]> {
    return this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId', { userId })
      .andWhere('s.revoked_at IS NULL')
      .andWhere('s.expires_at > now()')
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
  }

  /** Ends the session if it is live (and, given `userId`, that user's); returns the ids ended. */
  endOne(sessionId: string, reason: SessionRevocationReason, userId?: string): Promise<string[]> {
    return userId === undefined
      ? this.end(this.sessions.manager, 's.id = $1', [sessionId], reason)
      : this.end(this.sessions.manager, 's.id = $1 AND s.user_id = $2', [sessionId, userId], reason);
  }

  /** Ends every live session of the user but `keepSessionId` (in the transaction of `manager`, if given); returns the ids ended. */
  endAllOfUser(userId: string, reason: SessionRevocationReason, keepSessionId?: string, manager: EntityManager = this.sessions.manager): Promise<string[]> {
    return keepSessionId === undefined
      ? this.end(manager, 's.user_id = $1', [userId], reason)
      : this.end(manager, 's.user_id = $1 AND s.id <> $2', [userId, keepSessionId], reason);
  }

  /** Records a use, unless one was recorded in the last minute. */
  async touch(sessionId: string): Promise<void> {
    await this.sessions
      .createQueryBuilder()
      .update(Session)
      .set({ lastUsedAt: () => 'now()' })
      .where('id = :sessionId', { sessionId })
      .andWhere(`last_used_at < now() - interval '1 minute'`)
      .execute();
  }

  /** Deletes the user's sessions that ended more than `retentionDays` ago. */
  async purgeEnded(userId: string, retentionDays: number): Promise<void> {
    await queryRows(
      this.sessions.manager,
      `DELETE FROM sessions
       WHERE user_id = $1
         AND (revoked_at < now() - make_interval(days => $2) OR expires_at < now() - make_interval(days => $2))`,
      [userId, retentionDays],
    );
  }

  private async end(manager: EntityManager, condition: string, parameters: unknown[], reason: SessionRevocationReason): Promise<string[]> {
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
}
