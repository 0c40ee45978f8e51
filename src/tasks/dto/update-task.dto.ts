import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, ValidateIf } from 'class-validator';
import { DESCRIPTION_MAX_LENGTH, TAGS_MAX_COUNT, TASK_PRIORITIES, TASK_STATUSES, TITLE_MAX_LENGTH, type TaskPriority, type TaskStatus } from '../task.types';
import { Nullable } from '../../common/problem/validation';
import { IsTaskDescription, IsTaskTags, IsTaskTitle, IsZonedDateTime, TAG_SCHEMA } from './validation';

/** Validates a present value, null included (IsOptional would let null through as "absent"). */
const IfPresent = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * A partial update: absent fields are left alone; `description` and `dueAt` accept null to clear
 * them; the other fields cannot be null.
 */
export class UpdateTaskDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: TITLE_MAX_LENGTH, example: 'Write the Q4 report' })
  @IfPresent()
  @IsTaskTitle()
  title?: string;

  /** null clears it. */
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: DESCRIPTION_MAX_LENGTH })
  @Nullable()
  @IsOptional()
  @IsTaskDescription()
  description?: string | null;

  /** Entering `done` sets completedAt; leaving it clears completedAt. */
  @ApiPropertyOptional({ enum: TASK_STATUSES, enumName: 'TaskStatus', example: 'done' })
  @IfPresent()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  /** The new priority. */
  @ApiPropertyOptional({ enum: TASK_PRIORITIES, enumName: 'TaskPriority' })
  @IfPresent()
  @IsIn(TASK_PRIORITIES)
  priority?: TaskPriority;

  /** null clears it. */
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: '2026-12-02T17:00:00Z' })
  @Nullable()
  @IsOptional()
  @IsZonedDateTime()
  dueAt?: string | null;

  /** Replaces the whole list. */
  @ApiPropertyOptional({ type: 'array', items: TAG_SCHEMA, maxItems: TAGS_MAX_COUNT })
  @IfPresent()
  @IsTaskTags()
  tags?: string[];
}
