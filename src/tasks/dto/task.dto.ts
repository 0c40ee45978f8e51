import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { TASK_ACCESSES, type TaskAccess } from '../access/task-access.policy';
import { DESCRIPTION_MAX_LENGTH, TAGS_MAX_COUNT, TASK_PRIORITIES, TASK_STATUSES, TITLE_MAX_LENGTH, type TaskPriority, type TaskStatus } from '../task.types';

/** A task as every endpoint returns it. */
export class TaskDto {
  /** Time-ordered UUID (v7). */
  @ApiProperty({ format: 'uuid', example: '0193a1f0-7b8c-7def-8123-456789abcdef' })
  id: string;

  @ApiProperty({ minLength: 1, maxLength: TITLE_MAX_LENGTH, example: 'Write the quarterly report' })
  title: string;

  @ApiProperty({ type: String, nullable: true, maxLength: DESCRIPTION_MAX_LENGTH, example: 'Numbers from finance first' })
  description: string | null;

  @ApiProperty({ enum: TASK_STATUSES, enumName: 'TaskStatus', example: 'todo' })
  status: TaskStatus;

  @ApiProperty({ enum: TASK_PRIORITIES, enumName: 'TaskPriority', example: 'high' })
  priority: TaskPriority;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-12-01T17:00:00.000Z' })
  dueAt: string | null;

  @ApiProperty({ type: [String], maxItems: TAGS_MAX_COUNT, example: ['work', 'finance'] })
  tags: string[];

  /** The owner's user id. */
  @ApiProperty({ format: 'uuid', example: '0193a1ef-0000-7000-8000-000000000001' })
  ownerId: string;

  /** Incremented by every change; the ETag is derived from id and version. */
  @ApiProperty({ type: 'integer', minimum: 1, example: 3 })
  version: number;

  @ApiProperty({ format: 'date-time', example: '2026-11-22T09:30:00.000Z' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-22T10:05:12.345Z' })
  updatedAt: string;

  /** Set when the status becomes `done`, cleared when it leaves `done`. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  completedAt: string | null;

  /**
   * The caller's access: `owner`; `editor` (shared with you: read and change its fields) or
   * `viewer` (shared with you: read only). In an admin's `ownerId` list of someone else's tasks it
   * is `viewer` unless the task is shared with the admin as `editor`.
   */
  @ApiProperty({ enum: TASK_ACCESSES, enumName: 'TaskAccess', example: 'owner' })
  access: TaskAccess;
}

/** A task deleted since the `since` position: remove it locally (ignore it if you never had it). */
export class TombstoneDto {
  @ApiProperty({ format: 'uuid', example: '0193a1f0-7b8c-7def-8123-456789abcdef' })
  id: string;

  @ApiProperty({ type: Boolean, enum: [true], example: true })
  deleted: true;

  @ApiProperty({ format: 'date-time', example: '2026-11-22T11:00:00.000Z' })
  deletedAt: string;
}

/** One page of a task listing. */
export class TaskPageDto {
  @ApiProperty({ type: [TaskDto] })
  data: TaskDto[];

  /** Pass as `cursor` (with the same sort and filters) for the next page; null on the last page. */
  @ApiProperty({ type: String, nullable: true, example: 'eyJ2IjoxLCJzIjoiLWNyZWF0ZWRBdCJ9.c2lnbmF0dXJl' })
  nextCursor: string | null;
}

/** One page of the change feed. */
@ApiExtraModels(TaskDto, TombstoneDto)
export class ChangesPageDto {
  /**
   * Tasks created or changed (the latest state) and deleted tasks (tombstones), oldest change
   * first. A task appears at most once per page.
   */
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(TaskDto) }, { $ref: getSchemaPath(TombstoneDto) }] },
  })
  changes: Array<TaskDto | TombstoneDto>;

  /** Store it and send it as `since` next time; keep paging while `changes` is not empty. */
  @ApiProperty({ example: 'eyJ2IjoxLCJ4IjoiNzg5IiwicyI6IjEyMyJ9.c2lnbmF0dXJl' })
  next: string;
}
