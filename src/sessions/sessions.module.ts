import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokenService } from './access-token.service';
import { Session } from './session.entity';
import { SessionStateStore } from './session-state.store';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** Sessions and the tokens that belong to them; used by auth (login, refresh) and users (revocations). */
@Module({
  imports: [TypeOrmModule.forFeature([Session])],
  providers: [SessionsService, SessionsRepository, SessionStateStore, AccessTokenService],
  exports: [SessionsService, AccessTokenService],
})
export class SessionsModule {}
