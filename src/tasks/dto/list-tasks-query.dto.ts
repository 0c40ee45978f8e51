import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min } from 'class-validator';
import {
  DEFAULT_TASK_SORT,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  SEARCH_MAX_LENGTH,
  TAG_MAX_LENGTH,
  TASK_PRIORITIES,
  TASK_SORTS,
  TASK_SCOPES,
  TASK_STATUSES,
  type TaskPriority,
  type TaskScope,
  type TaskSort,
  type TaskStatus,
} from '../task.types';
import { Trim } from '../../common/trim';
import { EmptyAsAbsent, IsZonedDateTime, NoNulCharacters, ToInteger } from './validation';

export class ListTasksQueryDto {
  /**
   * Narrows the list to your own tasks (`own`) or to those shared with you (`shared`); absent,
   * it has both. With `ownerId` only `own` is allowed.
   */
  @ApiPropertyOptional({ enum: TASK_SCOPES, enumName: 'TaskScope' })
  @IsOptional()
  @IsIn(TASK_SCOPES)
  scope?: TaskScope;

  @ApiPropertyOptional({ enum: TASK_STATUSES, enumName: 'TaskStatus' })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional({ enum: TASK_PRIORITIES, enumName: 'TaskPriority' })
  @IsOptional()
  @IsIn(TASK_PRIORITIES)
  priority?: TaskPriority;

  /** Tasks carrying this tag (exact, case-sensitive match). */
  @ApiPropertyOptional({ minLength: 1, maxLength: TAG_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @Length(1, TAG_MAX_LENGTH)
  @NoNulCharacters()
  tag?: string;

  /** Tasks due strictly before this instant (tasks without a due date are excluded). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsZonedDateTime()
  dueBefore?: string;

  /** Tasks due at or after this instant (tasks without a due date are excluded). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsZonedDateTime()
  dueAfter?: string;

  /**
   * Full-text search over title and description (web-search syntax: `"exact phrase"`, `or`,
   * `-excluded`; English stemming). An empty value is ignored.
   */
  @ApiPropertyOptional({ maxLength: SEARCH_MAX_LENGTH })
  @Trim()
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  @MaxLength(SEARCH_MAX_LENGTH)
  @NoNulCharacters()
  q?: string;

  /** A leading `-` means descending. Tasks without a due date come last in both dueAt orders. */
  @ApiPropertyOptional({ enum: TASK_SORTS, enumName: 'TaskSort', default: DEFAULT_TASK_SORT })
  @IsOptional()
  @IsIn(TASK_SORTS)
  sort: TaskSort = DEFAULT_TASK_SORT;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(LIST_MAX_LIMIT)
  limit: number = LIST_DEFAULT_LIMIT;

  /** The `nextCursor` of the previous page; only valid with the same sort and filters. */
  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  cursor?: string;

  /**
   * Admins only: list this user's own tasks instead of what the admin can see (403 for everyone
   * else). Each task's `access` is the admin's: `viewer` unless it is shared with them as `editor`.
   */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  ownerId?: string;
}
