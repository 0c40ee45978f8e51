import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DESCRIPTION_MAX_LENGTH, TAGS_MAX_COUNT, TASK_PRIORITIES, TASK_STATUSES, TITLE_MAX_LENGTH, type TaskPriority, type TaskStatus } from '../task.types';
import { Nullable } from '../../common/problem/validation';
import { IsTaskDescription, IsTaskTags, IsTaskTitle, IsZonedDateTime, TAG_SCHEMA } from './validation';

export class CreateTaskDto {
  /** Trimmed; 1 to 200 characters. */
  @ApiProperty({ minLength: 1, maxLength: TITLE_MAX_LENGTH, example: 'Write the quarterly report' })
  @IsTaskTitle()
  title: string;

  /** Up to 10,000 characters; null or absent for none. */
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: DESCRIPTION_MAX_LENGTH, example: 'Numbers from finance first' })
  @Nullable()
  @IsOptional()
  @IsTaskDescription()
  description?: string | null;

  /** `todo` when absent. */
  @ApiPropertyOptional({ enum: TASK_STATUSES, enumName: 'TaskStatus' })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  /** `medium` when absent. */
  @ApiPropertyOptional({ enum: TASK_PRIORITIES, enumName: 'TaskPriority' })
  @IsOptional()
  @IsIn(TASK_PRIORITIES)
  priority?: TaskPriority;

  /** ISO-8601 date-time with a time zone; stored to the millisecond, returned in UTC. */
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: '2026-12-01T17:00:00Z' })
  @Nullable()
  @IsOptional()
  @IsZonedDateTime()
  dueAt?: string | null;

  /** At most 20 tags of 1 to 50 characters; trimmed, duplicates dropped. */
  @ApiPropertyOptional({ type: 'array', items: TAG_SCHEMA, maxItems: TAGS_MAX_COUNT, example: ['work', 'finance'] })
  @IsOptional()
  @IsTaskTags()
  tags?: string[];
}
