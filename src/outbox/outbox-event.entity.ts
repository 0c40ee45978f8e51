import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type OutboxEventStatus = 'pending' | 'done' | 'failed';

/**
 * A domain event, written in the transaction of the change that caused it and handled afterwards
 * by the consumer of its `topic` (OutboxWorker). `payload` is the topic's own JSON. A row is
 * `pending` until its consumer succeeds (`done`) or gives up after OUTBOX_MAX_ATTEMPTS (`failed`);
 * while a worker handles it, `leaseId`/`leasedUntil` keep every other worker off it.
 */
@Entity({ name: 'outbox_events' })
@Check('outbox_events_status_check', `status IN ('pending', 'done', 'failed')`)
export class OutboxEvent {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'outbox_events_pkey' })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  topic: string;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: OutboxEventStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** Not before this (the back-off after a failed attempt). outbox_events_pending_idx (partial, by its migration) serves the poll. */
  @Index('outbox_events_pending_idx', { synchronize: false })
  @Column({ name: 'available_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  availableAt: Date;

  @Column({ name: 'lease_id', type: 'uuid', nullable: true })
  leaseId: string | null;

  @Column({ name: 'leased_until', type: 'timestamptz', precision: 3, nullable: true })
  leasedUntil: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', precision: 3, nullable: true })
  processedAt: Date | null;
}
