import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { TASK_PRIORITIES, type TaskPriority } from '../task.types';
import { SHARE_ROLES, type ShareRole } from '../access/task-access.policy';

/**
 * A grant of access to a task, and the one description of the task_shares table
 * (migrations/1764930000000-task-shares.ts). It carries copies of the task's sort keys, kept
 * equal to the task's by the tasks_sync_shares trigger, so a grantee's shared tasks are an index
 * range in every list order; its change stamp moves with every change of the grant or the task.
 * The expression indexes of the dueAt orders live in the migration.
 */
@Entity('task_shares')
@Check('task_shares_not_owner', 'grantee_id <> owner_id')
@Index('task_shares_grantee_created_idx', ['granteeId', 'taskCreatedAt', 'taskId'])
@Index('task_shares_grantee_updated_idx', ['granteeId', 'taskUpdatedAt', 'taskId'])
@Index('task_shares_grantee_priority_idx', ['granteeId', 'taskPriority', 'taskCreatedAt', 'taskId'])
@Index('task_shares_grantee_due_asc_idx', { synchronize: false })
@Index('task_shares_grantee_due_desc_idx', { synchronize: false })
@Index('task_shares_grantee_change_idx', ['granteeId', 'changeXid', 'changeSeq'])
@Index('task_shares_owner_idx', ['ownerId'])
export class TaskShareEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid', primaryKeyConstraintName: 'task_shares_pkey' })
  @ForeignKey('tasks', { name: 'task_shares_task_id_fkey', onDelete: 'CASCADE' })
  taskId: string;

  @PrimaryColumn({ name: 'grantee_id', type: 'uuid', primaryKeyConstraintName: 'task_shares_pkey' })
  @ForeignKey('users', { name: 'task_shares_grantee_id_fkey', onDelete: 'CASCADE' })
  granteeId: string;

  /** The task's owner (it never changes): an owner's account deletion ends these grants. */
  @Column({ name: 'owner_id', type: 'uuid' })
  @ForeignKey('users', { name: 'task_shares_owner_id_fkey', onDelete: 'CASCADE' })
  ownerId: string;

  @Column({ type: 'enum', enum: SHARE_ROLES, enumName: 'task_share_role' })
  role: ShareRole;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'task_created_at', type: 'timestamptz', precision: 3 })
  taskCreatedAt: Date;

  @Column({ name: 'task_updated_at', type: 'timestamptz', precision: 3 })
  taskUpdatedAt: Date;

  @Column({ name: 'task_priority', type: 'enum', enum: TASK_PRIORITIES, enumName: 'task_priority' })
  taskPriority: TaskPriority;

  @Column({ name: 'task_due_at', type: 'timestamptz', precision: 3, nullable: true })
  taskDueAt: Date | null;

  /** As TaskEntity's: set by column defaults on insert, moved by the task_shares_track_change trigger. */
  @Column({ name: 'change_xid', type: 'bigint', default: () => 'task_change_xid()' })
  changeXid: string;

  @Column({ name: 'change_seq', type: 'bigint', default: () => "nextval('task_change_seq')" })
  changeSeq: string;
}
