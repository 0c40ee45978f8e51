import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  /** The offending field, as a dotted path into the request (`tags.3`, `query.limit`). */
  @ApiProperty({ example: 'email' })
  field: string;

  /** What is wrong with it. */
  @ApiProperty({ example: 'email must be an email' })
  message: string;
}

/** RFC 9457 problem details: every error this API returns has this shape. */
export class ProblemDetailsDto {
  /** A URI reference identifying the problem type. */
  @ApiProperty({ example: 'https://taskwright.dev/problems/validation-failed' })
  type: string;

  /** A short, human-readable summary of the problem type. */
  @ApiProperty({ example: 'Bad Request' })
  title: string;

  /** The HTTP status code. */
  @ApiProperty({ example: 400 })
  status: number;

  /** A human-readable explanation specific to this occurrence. */
  @ApiProperty({ example: 'The request is invalid: see errors' })
  detail: string;

  /** The request path this problem occurred on (`urn:uuid:<requestId>` when the request could not be read: a bad request line, a timeout). */
  @ApiProperty({ example: '/v1/auth/register' })
  instance: string;

  /** The request id, also sent as the X-Request-Id header; quote it in bug reports. */
  @ApiProperty({ example: '0193a1f0-7b8c-7def-8123-456789abcdef' })
  requestId: string;

  /** Every invalid field, for validation errors. */
  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];
}
