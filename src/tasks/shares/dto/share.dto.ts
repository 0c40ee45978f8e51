import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, MaxLength } from 'class-validator';
import { Trim } from '../../../common/trim';
import { SHARE_ROLES, type ShareRole } from '../../access/task-access.policy';

/** PUT /v1/tasks/{id}/shares: who gets access, and which. */
export class ShareTaskDto {
  /**
   * The account to share with, by its email (compared in canonical form, like at login).
   * @example "grace@example.com"
   */
  @Trim()
  @IsEmail()
  @MaxLength(254)
  email: string;

  /** `viewer` reads the task; `editor` reads it and changes its fields. */
  @ApiProperty({ enum: SHARE_ROLES, enumName: 'ShareRole', example: 'editor' })
  @IsIn(SHARE_ROLES)
  role: ShareRole;
}

/** The account a task is shared with, as its owner sees it. */
export class ShareUserDto {
  @ApiProperty({ format: 'uuid', example: '019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f71' })
  id: string;

  @ApiProperty({ example: 'Grace Hopper' })
  name: string;

  @ApiProperty({ format: 'idn-email', example: 'grace@example.com' })
  email: string;
}

/** One grant of access to a task. */
export class ShareDto {
  @ApiProperty({ type: ShareUserDto })
  user: ShareUserDto;

  @ApiProperty({ enum: SHARE_ROLES, enumName: 'ShareRole', example: 'editor' })
  role: ShareRole;

  /** When the access was first granted (a change of role keeps it). */
  @ApiProperty({ format: 'date-time', example: '2026-12-03T09:30:00.000Z' })
  createdAt: string;
}

/** Everyone a task is shared with, oldest grant first (at most 100). */
export class ShareListDto {
  @ApiProperty({ type: [ShareDto] })
  data: ShareDto[];
}
