import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserDto } from '../../users/dto/user.dto';

/** What register, login and refresh return: the account and a fresh token pair. */
export class TokenResponseDto {
  @ApiProperty({ type: UserDto })
  user: UserDto;

  /** Send as `Authorization: Bearer <accessToken>`; valid for `expiresIn` seconds. */
  @ApiProperty({
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoidXNlciIsInNpZCI6IjAxOWE4ZjJlLTZjMWQtN2IzYS05ZjEwLTJiN2M0ZDVlNmY3MCJ9.c2lnbmF0dXJl',
  })
  accessToken: string;

  /**
   * Opaque; single use. Exchange it at POST /v1/auth/refresh for a new pair. Keep it secret.
   * Absent in cookie mode (`Refresh-Token-Transport: cookie`), where the HttpOnly cookie carries it.
   */
  @ApiPropertyOptional({ example: '019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f70.q3J0mH6yXoM2cKp1T8vN4bW9eR5uY7iA0sD2fG6hJkL' })
  refreshToken?: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  /** Lifetime of the access token in seconds. */
  @ApiProperty({ type: 'integer', example: 900 })
  expiresIn: number;
}
