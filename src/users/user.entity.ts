import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '../common/auth/auth-user';

/**
 * An account. The email is stored as given (trimmed), for display, and compared only through
 * `emailCanonical` (canonicalEmail()), which carries the unique index. The password hash is never
 * selected unless a query asks for it.
 */
@Entity({ name: 'users' })
@Check('users_role_check', `role IN ('user', 'admin')`)
@Index('users_role_id_idx', ['role', 'id'])
export class User {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 254 })
  email: string;

  /** canonicalEmail(email); unique (users_email_canonical_key, created by its migration with text_pattern_ops). */
  @Index('users_email_canonical_key', { synchronize: false })
  @Column({ name: 'email_canonical', type: 'text', select: false })
  emailCanonical: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role: Role;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  /** Set when the owner of the address opened a verification (or email change) link sent to it. */
  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
