import { Session } from '../auth/sessions/session.entity';
import { IdempotencyKeyEntity } from '../common/idempotency/idempotency-key.entity';
import { TaskEntity } from '../tasks/task.entity';
import { User } from '../users/user.entity';

/** Every TypeORM entity, listed once for the app and the TypeORM CLI. */
export const entities: Function[] = [User, Session, TaskEntity, IdempotencyKeyEntity];
