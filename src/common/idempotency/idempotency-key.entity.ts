import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/**
 * One Idempotency-Key a user sent to one operation (`scope`), the hash of the request it came
 * with, and the response it produced, replayed for 24 h. The primary key is what makes
 * concurrent duplicates wait for (and then reuse) the first one.
 */
@Entity('idempotency_keys')
@Index('idempotency_keys_created_idx', ['createdAt'])
export class IdempotencyKeyEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'idempotency_keys_pkey' })
  @ForeignKey('users', { name: 'idempotency_keys_user_id_fkey', onDelete: 'CASCADE' })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'idempotency_keys_pkey' })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 255, primaryKeyConstraintName: 'idempotency_keys_pkey' })
  key: string;

  /** SHA-256 (hex) of the normalised request: the same key with another request is a conflict. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash: string;

  /** The resource the first request created, and the response body it got (null until it commits). */
  @Column({ name: 'resource_id', type: 'uuid', nullable: true })
  resourceId: string | null;

  /** `json`, not `jsonb`: the text is kept as written, so a replay is the first response byte for byte. */
  @Column({ type: 'json', nullable: true })
  response: unknown;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;
}
