import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LiveDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

export class HealthIndicatorDto {
  @ApiProperty({ enum: ['up', 'down', 'degraded'] })
  status: string;

  @ApiProperty({ required: false })
  message?: string;
}

/** The @nestjs/terminus report. */
export class HealthDto {
  @ApiProperty({ enum: ['ok', 'error', 'degraded', 'shutting_down'] })
  status: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorDto' } })
  info?: Record<string, HealthIndicatorDto>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorDto' } })
  error?: Record<string, HealthIndicatorDto>;

  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorDto' } })
  details: Record<string, HealthIndicatorDto>;
}
