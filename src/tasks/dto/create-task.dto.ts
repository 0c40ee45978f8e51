import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import {
  DESCRIPTION_MAX_LENGTH,
  TAG_MAX_LENGTH,
  TAGS_MAX_COUNT,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TITLE_MAX_LENGTH,
  type TaskPriority,
  type TaskStatus,
} from '../task.types';
import { Nullable } from '../../common/problem/validation';
import { Trim } from '../../common/trim';
import { IsZonedDateTime, NoNulCharacters, NormaliseTags } from './validation';

export class CreateTaskDto {
  /** Trimmed; 1 to 200 characters. */
  @ApiProperty({ minLength: 1, maxLength: TITLE_MAX_LENGTH, example: 'Write the quarterly report' })
  @Trim()
  @IsString()
  @Length(1, TITLE_MAX_LENGTH)
  @NoNulCharacters()
  title: string;

  /** Up to 10,000 characters; null or absent for none. */
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: DESCRIPTION_MAX_LENGTH, example: 'Numbers from finance first' })
  @Nullable()
  @IsOptional()
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  @NoNulCharacters()
  description?: string | null;

  @ApiPropertyOptional({ enum: TASK_STATUSES, enumName: 'TaskStatus', default: 'todo' })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional({ enum: TASK_PRIORITIES, enumName: 'TaskPriority', default: 'medium' })
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
  @ApiPropertyOptional({ type: [String], maxItems: TAGS_MAX_COUNT, example: ['work', 'finance'] })
  @IsOptional()
  @NormaliseTags()
  @IsArray()
  @ArrayMaxSize(TAGS_MAX_COUNT)
  @IsString({ each: true })
  @Length(1, TAG_MAX_LENGTH, { each: true })
  @NoNulCharacters({ each: true })
  tags?: string[];
}
