import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import type { AccountTokenPurpose } from './account-token.entity';

export interface NewAccountToken {
  tokenHash: Buffer;
  userId: string;
  purpose: AccountTokenPurpose;
  newEmail?: string;
  ttlSeconds: number;
}

export interface SpentAccountToken {
  userId: string;
  newEmail: string | null;
}

/** The account_tokens table; every method runs in the caller's transaction. */
@Injectable()
export class AccountTokensRepository {
  /** The user's only live token of this purpose: the older ones (and any expired ones) go. */
  async replace(manager: EntityManager, token: NewAccountToken): Promise<void> {
    await queryRows(manager, `DELETE FROM account_tokens WHERE user_id = $1 AND (purpose = $2 OR expires_at <= now())`, [token.userId, token.purpose]);
    await queryRows(
      manager,
      `INSERT INTO account_tokens (token_hash, user_id, purpose, new_email, expires_at) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second')`,
      [token.tokenHash, token.userId, token.purpose, token.newEmail ?? null, token.ttlSeconds],
    );
  }

  /**
   * Spends a token: deletes it and answers whose it was, undefined when there is no such live
   * token (never issued, used, superseded or expired: one answer for all). The DELETE makes two
   * concurrent uses of one token a single success. With `userId`, only that user's token is spent.
   */
  async spend(manager: EntityManager, tokenHash: Buffer, purpose: AccountTokenPurpose, userId?: string): Promise<SpentAccountToken | undefined> {
    const rows = await queryRows<{ user_id: string; new_email: string | null; live: boolean }>(
      manager,
      `DELETE FROM account_tokens WHERE token_hash = $1 AND purpose = $2 AND ($3::uuid IS NULL OR user_id = $3)
       RETURNING user_id, new_email, expires_at > now() AS live`,
      [tokenHash, purpose, userId ?? null],
    );
    const row = rows[0];
    return row?.live ? { userId: row.user_id, newEmail: row.new_email } : undefined;
  }

  /** Whether a live token with this hash and purpose exists (a cheap check before costly work). */
  async isLive(manager: EntityManager, tokenHash: Buffer, purpose: AccountTokenPurpose): Promise<boolean> {
    const rows = await queryRows(manager, `SELECT 1 FROM account_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > now()`, [tokenHash, purpose]);
    return rows.length > 0;
  }

  /** Every token of the user (after a change that makes them stale: a new email address). */
  async deleteAllOfUser(manager: EntityManager, userId: string): Promise<void> {
    await queryRows(manager, `DELETE FROM account_tokens WHERE user_id = $1`, [userId]);
  }
}
