import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../../sessions/session.entity';

/** One live session (a login on some device). */
export class SessionDto {
  @ApiProperty({ format: 'uuid', example: '019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f70' })
  id: string;

  /** The User-Agent of the login that opened it. */
  @ApiProperty({ type: String, nullable: true, example: 'TaskwrightMobile/2.3 (iOS 18)' })
  userAgent: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  /** Updated at most once a minute. */
  @ApiProperty({ format: 'date-time' })
  lastUsedAt: string;

  /** When it ends unless refreshed before. */
  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  /** True for the session of the access token making this request. */
  @ApiProperty({ example: true })
  current: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] })
  data: SessionDto[];
}

export function toSessionDto(session: Session, currentSessionId: string): SessionDto {
  return {
    id: session.id,
    userAgent: session.userAgent,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    current: session.id === currentSessionId,
  };
}
