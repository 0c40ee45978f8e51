import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class RefreshDto {
  /**
   * The refreshToken of the last login, registration or refresh. It is spent by this call; sending
   * it again later is treated as theft and ends the session. Leave it out in cookie mode: the
   * __Host-taskwright-refresh cookie carries it.
   * @example "019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f70.q3J0mH6yXoM2cKp1T8vN4bW9eR5uY7iA0sD2fG6hJkL"
   */
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refreshToken: string;
}
