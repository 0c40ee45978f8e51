import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordModule } from './password/password.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminBootstrap } from './admin-bootstrap';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';
import { MailModule } from '../mail/mail.module';
import { AccountRecoveryService } from './account-recovery.service';
import { AccountTokensRepository } from './account-tokens.repository';
import { AccountToken } from './account-token.entity';

@Module({
  imports: [TypeOrmModule.forFeature([User, AccountToken]), PasswordModule, SessionsModule, MailModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, AccountTokensRepository, AccountRecoveryService, AdminBootstrap],
  exports: [UsersService, AccountRecoveryService],
})
export class UsersModule {}
