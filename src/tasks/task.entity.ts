import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import {
  DESCRIPTION_MAX_LENGTH,
  SEARCH_CONFIG,
  TAGS_MAX_COUNT,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TITLE_MAX_LENGTH,
  type TaskPriority,
  type TaskStatus,
} from './task.types';

/** Shared by the entity and the migration, so the generated column is declared exactly once. */
const TASK_SEARCH_EXPRESSION = `to_tsvector('${SEARCH_CONFIG}'::regconfig, coalesce(title, '') || ' ' || coalesce(description, ''))`;

/**
 * A task, and the one description of the tasks table: the hand-written SQL of TasksRepository and
 * ChangesRepository selects its columns by these property names (selectList) and types its rows
 * with them, and an e2e spec diffs it against migrations/1763790000000-tasks.ts.
 *
 * Every list index is partial (`deleted_at IS NULL`): tombstones exist only for the change feed.
 * The expression indexes for the dueAt sorts are not expressible here and live in the migration.
 */
@Entity('tasks')
@Check('tasks_title_not_blank', 'length(btrim(title)) > 0')
@Check('tasks_tags_max', `cardinality(tags) <= ${TAGS_MAX_COUNT}`)
@Check('tasks_completed_iff_done', "(status = 'done') = (completed_at IS NOT NULL)")
@Check('tasks_version_positive', 'version > 0')
@Index('tasks_owner_created_idx', ['ownerId', 'createdAt', 'id'], { where: 'deleted_at IS NULL' })
@Index('tasks_owner_updated_idx', ['ownerId', 'updatedAt', 'id'], { where: 'deleted_at IS NULL' })
@Index('tasks_owner_priority_idx', ['ownerId', 'priority', 'createdAt', 'id'], { where: 'deleted_at IS NULL' })
@Index('tasks_owner_status_created_idx', ['ownerId', 'status', 'createdAt', 'id'], { where: 'deleted_at IS NULL' })
@Index('tasks_owner_due_asc_idx', { synchronize: false })
@Index('tasks_owner_due_desc_idx', { synchronize: false })
@Index('tasks_tags_idx', ['tags'], { type: 'gin' })
@Index('tasks_search_idx', ['search'], { type: 'gin' })
@Index('tasks_owner_change_idx', ['ownerId', 'changeXid', 'changeSeq'])
export class TaskEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'tasks_pkey' })
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  @ForeignKey('users', { name: 'tasks_owner_id_fkey', onDelete: 'CASCADE' })
  ownerId: string;

  @Column({ type: 'varchar', length: TITLE_MAX_LENGTH })
  title: string;

  @Column({ type: 'varchar', length: DESCRIPTION_MAX_LENGTH, nullable: true })
  description: string | null;

  @Column({ type: 'enum', enum: TASK_STATUSES, enumName: 'task_status', default: 'todo' })
  status: TaskStatus;

  @Column({ type: 'enum', enum: TASK_PRIORITIES, enumName: 'task_priority', default: 'medium' })
  priority: TaskPriority;

  @Column({ name: 'due_at', type: 'timestamptz', precision: 3, nullable: true })
  dueAt: Date | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  /** Optimistic concurrency: +1 on every write; the ETag is derived from it. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt: Date | null;

  /** Soft-delete tombstone, kept so the change feed can report the deletion. */
  @Column({ name: 'deleted_at', type: 'timestamptz', precision: 3, nullable: true })
  deletedAt: Date | null;

  /**
   * The 64-bit id (xid8, stored as bigint by task_change_xid(): TypeORM has no xid8 type) of the
   * transaction that last wrote the row, and a global sequence number of that write; see CHANGES_SQL.
   * Set by column defaults on insert and by the tasks_track_change trigger on update.
   */
  @Column({ name: 'change_xid', type: 'bigint', default: () => 'task_change_xid()' })
  changeXid: string;

  @Column({ name: 'change_seq', type: 'bigint', default: () => "nextval('task_change_seq')" })
  changeSeq: string;

  @Column({
    type: 'tsvector',
    // PostgreSQL keeps generated columns nullable; the expression itself never yields NULL.
    nullable: true,
    select: false,
    insert: false,
    update: false,
    generatedType: 'STORED',
    asExpression: TASK_SEARCH_EXPRESSION,
  })
  search: string;
}
