import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordModule } from './password/password.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminBootstrap } from './admin-bootstrap';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User]), PasswordModule, SessionsModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, AdminBootstrap],
  exports: [UsersService],
})
export class UsersModule {}
