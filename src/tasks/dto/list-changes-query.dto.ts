import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CHANGES_DEFAULT_LIMIT, CHANGES_MAX_LIMIT } from '../task.types';
import { ToInteger } from './validation';

export class ListChangesQueryDto {
  /** The `next` token of the previous call; empty or absent to start from the beginning. */
  @ApiPropertyOptional({ maxLength: 512 })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  since?: string;

  /** At most this many changes per call. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: CHANGES_MAX_LIMIT, default: CHANGES_DEFAULT_LIMIT })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(CHANGES_MAX_LIMIT)
  limit: number = CHANGES_DEFAULT_LIMIT;
}
