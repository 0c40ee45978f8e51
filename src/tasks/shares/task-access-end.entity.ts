import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/**
 * The tombstone of an access that ended (revoked, left, the task deleted, its owner deleted), for
 * the grantee's change feed; the one description of the task_access_ends table. Written by the
 * task_shares_end_access trigger whenever a grant goes, removed by a new grant of the same task.
 * No foreign key to the task or its owner: it outlives both.
 */
@Entity('task_access_ends')
@Index('task_access_ends_grantee_change_idx', ['granteeId', 'changeXid', 'changeSeq'])
@Index('task_access_ends_task_idx', ['taskId'])
@Index('task_access_ends_owner_idx', ['ownerId'])
export class TaskAccessEndEntity {
  @PrimaryColumn({ name: 'grantee_id', type: 'uuid', primaryKeyConstraintName: 'task_access_ends_pkey' })
  @ForeignKey('users', { name: 'task_access_ends_grantee_id_fkey', onDelete: 'CASCADE' })
  granteeId: string;

  @PrimaryColumn({ name: 'task_id', type: 'uuid', primaryKeyConstraintName: 'task_access_ends_pkey' })
  taskId: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ name: 'ended_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  endedAt: Date;

  @Column({ name: 'change_xid', type: 'bigint', default: () => 'task_change_xid()' })
  changeXid: string;

  @Column({ name: 'change_seq', type: 'bigint', default: () => "nextval('task_change_seq')" })
  changeSeq: string;
}
