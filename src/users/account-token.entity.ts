import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

export type AccountTokenPurpose = 'password-reset' | 'email-verify' | 'email-change';

/**
 * A live single-use token mailed to an account's owner: found by the SHA-256 of the token, never
 * the token itself. At most one per account and purpose (a newer one deletes the older), deleted
 * when spent.
 */
@Entity({ name: 'account_tokens' })
@Check('account_tokens_purpose_check', `purpose IN ('password-reset', 'email-verify', 'email-change')`)
@Index('account_tokens_user_purpose_idx', ['userId', 'purpose'])
export class AccountToken {
  @PrimaryColumn({ name: 'token_hash', type: 'bytea', primaryKeyConstraintName: 'account_tokens_pkey' })
  tokenHash: Buffer;

  @Column({ name: 'user_id', type: 'uuid' })
  @ForeignKey('users', { name: 'account_tokens_user_id_fkey', onDelete: 'CASCADE' })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  purpose: AccountTokenPurpose;

  /** email-change only: the address to switch to, as typed (trimmed). */
  @Column({ name: 'new_email', type: 'varchar', length: 254, nullable: true })
  newEmail: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;
}
