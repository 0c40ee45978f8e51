import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '../../common/auth/auth-user';
import type { User } from '../user.entity';

/** An account as clients see it: never its password hash. */
export class UserDto {
  @ApiProperty({ format: 'uuid', example: '019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f70' })
  id: string;

  /**
   * As registered (trimmed); unique in canonical form (NFKC, case-folded). Internationalized
   * addresses are accepted, hence `idn-email`.
   */
  @ApiProperty({ format: 'idn-email', example: 'ada@example.com' })
  email: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  name: string;

  @ApiProperty({ enum: ROLES, enumName: 'Role', example: 'user' })
  role: Role;

  /** True once the owner opened a verification (or email change) link mailed to `email`. */
  @ApiProperty({ example: true })
  emailVerified: boolean;

  /** A disabled account cannot log in and has no live sessions. */
  @ApiProperty({ example: false })
  disabled: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-11-22T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-22T10:15:30.000Z' })
  updatedAt: string;
}

export function toUserDto(user: User): UserDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    emailVerified: user.emailVerified,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
