import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxModule } from './outbox.module';
import { OutboxRepository } from './outbox.repository';
import { OutboxWorker } from './outbox.worker';

/**
 * The worker that delivers the outbox. Imported by the service (AppModule) only: a command that
 * writes events (create-admin, through UsersModule) leaves their delivery to the running service.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OutboxEvent]), OutboxModule],
  providers: [OutboxRepository, OutboxWorker],
})
export class OutboxWorkerModule {}
