import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { ROLES, type Role } from '../../common/auth/auth-user';

/** What an admin may change on an account. */
export class AdminUpdateUserDto {
  /** Demoting an admin revokes all of their sessions; an admin cannot demote themselves. */
  @ApiPropertyOptional({ enum: ROLES, enumName: 'Role', example: 'admin' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  /** Disabling revokes all of the user's sessions at once; an admin cannot disable themselves. */
  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
