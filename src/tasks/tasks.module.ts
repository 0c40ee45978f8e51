import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../common/idempotency/idempotency.module';
import { ChangesRepository } from './changes/changes.repository';
import { ChangesService } from './changes/changes.service';
import { UsersModule } from '../users/users.module';
import { SharesController } from './shares/shares.controller';
import { SharesRepository } from './shares/shares.repository';
import { SharesService } from './shares/shares.service';
import { TaskAccessEndEntity } from './shares/task-access-end.entity';
import { TaskShareEntity } from './shares/task-share.entity';
import { TaskEntity } from './task.entity';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

@Module({
  imports: [TypeOrmModule.forFeature([TaskEntity, TaskShareEntity, TaskAccessEndEntity]), IdempotencyModule, UsersModule],
  controllers: [TasksController, SharesController],
  providers: [TasksService, TasksRepository, ChangesService, ChangesRepository, SharesService, SharesRepository],
  exports: [TasksService],
})
export class TasksModule {}
