import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** Why a session ended; kept for the audit trail and for support. */
export type SessionRevocationReason =
  | 'logout'
  | 'revoked-by-user'
  | 'password-changed'
  | 'password-reset'
  | 'email-changed'
  | 'refresh-token-reuse'
  | 'account-disabled'
  | 'role-changed'
  | 'account-deleted';

/**
 * A login: the refresh-token family. Its current refresh token is stored only as a SHA-256 hash
 * and replaced on every refresh; `rotationCount` says how many times it was rotated.
 */
@Entity({ name: 'sessions' })
@Index('sessions_user_id_created_at_idx', ['userId', 'createdAt'])
export class Session {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Named by table, not by the User entity: sessions/ sits below users/ (the cascade on account deletion). */
  @Column({ name: 'user_id', type: 'uuid' })
  @ForeignKey('users', { name: 'sessions_user_id_fkey', onDelete: 'CASCADE' })
  userId: string;

  @Column({ name: 'refresh_token_hash', type: 'bytea', select: false })
  refreshTokenHash: Buffer;

  /** SHA-256 of the last spent secrets, newest first: what tells a reuse from a wrong guess. */
  @Column({ name: 'spent_refresh_token_hashes', type: 'bytea', array: true, default: () => "'{}'", select: false })
  spentRefreshTokenHashes: Buffer[];

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'rotation_count', type: 'integer', default: 0 })
  rotationCount: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' })
  lastUsedAt: Date;

  /** Sliding: every refresh pushes it REFRESH_TTL_SECONDS ahead. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: SessionRevocationReason | null;
}
