import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ROLES, type Role } from '../../common/auth/auth-user';
import { UserDto } from './user.dto';

export const USERS_PAGE_DEFAULT = 20;
const USERS_PAGE_MAX = 100;

/** The admin's list of accounts, newest first. */
export class ListUsersQueryDto {
  /** Page size. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: USERS_PAGE_MAX, default: USERS_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(USERS_PAGE_MAX)
  limit?: number;

  /** The `nextCursor` of the previous page; opaque. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  /**
   * Prefix of the email, compared in canonical form (trimmed, NFKC, case-folded): `ada` matches
   * `Ada@example.com` and `adam@example.org`;
   * a whole address matches that account (and any longer address starting with it).
   */
  @ApiPropertyOptional({ example: 'ada@' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ enum: ROLES, enumName: 'Role' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] })
  data: UserDto[];

  /** Pass as `cursor` for the next page; null on the last page. */
  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor: string | null;
}
