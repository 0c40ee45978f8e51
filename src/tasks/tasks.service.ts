import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user';
import { IdempotencyService, type IdempotentRequest } from '../common/idempotency/idempotency.service';
import { ProblemException, ValidationProblem } from '../common/problem/problem.exception';
import { UserCacheService } from '../common/cache/user-cache.service';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { authorize, type TaskAccess, type TaskAction } from './access/task-access.policy';
import type { CreateTaskDto } from './dto/create-task.dto';
import type { ListTasksQueryDto } from './dto/list-tasks-query.dto';
import type { TaskDto, TaskPageDto } from './dto/task.dto';
import type { UpdateTaskDto } from './dto/update-task.dto';
import { TaskCursorCodec } from './task-cursor';
import type { TaskPrecondition } from './task-etag';
import { taskNotFound } from './task-not-found';
import { toTaskDto } from './task.mapper';
import { taskFilters, UPDATABLE_FIELDS } from './task.types';
import { type NewTask, positionOf, type TaskPatch, TasksRepository } from './tasks.repository';

export interface CreatedTask {
  task: TaskDto;
  /** True when an Idempotency-Key matched an earlier request and its response is replayed. */
  replayed: boolean;
}

const IDEMPOTENCY_SCOPE = 'tasks.create';

/** Statements a write without If-Match runs while the caller's access keeps changing under it. */
const MAX_WRITE_ATTEMPTS = 3;

/** Milliseconds, UTC: the precision and form the database stores and the API returns. */
function toUtc(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : new Date(value).toISOString();
}

/** Tasks: ownership, idempotent creation, keyset pages and conditional writes (the SQL is TasksRepository's). */
@Injectable()
export class TasksService {
  private readonly cursors: TaskCursorCodec;

  constructor(
    private readonly tasks: TasksRepository,
    private readonly idempotency: IdempotencyService,
    private readonly userCache: UserCacheService,
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    this.cursors = new TaskCursorCodec(config.jwtSecret);
  }

  /**
   * Creates a task. With an Idempotency-Key the key is claimed in the same transaction as the
   * insert, so concurrent retries create exactly one task and all get its first response.
   */
  async create(ownerId: string, input: CreateTaskDto, idempotencyKey?: string): Promise<CreatedTask> {
    const task: NewTask = {
      title: input.title,
      description: input.description ?? null,
      status: input.status ?? 'todo',
      priority: input.priority ?? 'medium',
      dueAt: toUtc(input.dueAt),
      tags: input.tags ?? [],
    };
    if (idempotencyKey === undefined) {
      return { task: toTaskDto(await this.tasks.insert(ownerId, task)), replayed: false };
    }
    const request: IdempotentRequest = { userId: ownerId, scope: IDEMPOTENCY_SCOPE, key: idempotencyKey, request: task };
    const created = await this.tasks.transaction(async (manager): Promise<CreatedTask> => {
      const claim = await this.idempotency.claim<TaskDto>(manager, request);
      // A response stored before tasks carried `access` lacks it; its creator is the owner.
      if (claim.kind === 'replay') return { task: { ...claim.response, access: 'owner' }, replayed: true };
      const inserted = toTaskDto(await this.tasks.insert(ownerId, task, manager));
      await this.idempotency.complete(manager, request, inserted.id, inserted);
      return { task: inserted, replayed: false };
    });
    this.idempotency.purgeExpiredSoon();
    return created;
  }

  /** `userId`'s access to the live task `id` (undefined: none), for the access policy. */
  accessOf(userId: string, id: string): Promise<TaskAccess | undefined> {
    return this.tasks.accessOf(userId, id);
  }

  async findOne(userId: string, id: string): Promise<TaskDto> {
    const row = await this.tasks.findVisible(userId, id);
    if (row === undefined) throw taskNotFound();
    return toTaskDto(row);
  }

  /**
   * One page of the tasks the caller can see (their own and those shared with them, or one of
   * the two with `scope`), or, for an admin with ownerId, of another user's own tasks. Keyset
   * pagination: the cursor carries the last row's sort key and id, and the next page is an index
   * range scan from there (see buildListQuery), so page 50,000 costs what page 1 costs.
   */
  async list(caller: AuthUser, query: ListTasksQueryDto): Promise<TaskPageDto> {
    let filters = taskFilters(caller.id, query);
    if (query.ownerId !== undefined) {
      if (caller.role !== 'admin') {
        throw new ProblemException(403, 'forbidden', "Only admins may list another user's tasks (ownerId)");
      }
      if (query.scope === 'shared') {
        throw new ValidationProblem([{ field: 'scope', message: "scope=shared cannot be combined with ownerId, which lists that user's own tasks" }]);
      }
      filters = { ...taskFilters(query.ownerId.toLowerCase(), query), scope: 'own' };
    }
    const after = query.cursor === undefined ? undefined : this.cursors.decode(query.cursor, query.sort, filters);
    const rows = await this.tasks.page(filters, query.sort, query.limit + 1, after, caller.id);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const hasMore = rows.length > query.limit && last !== undefined;
    return {
      data: page.map(toTaskDto),
      nextCursor: hasMore ? this.cursors.encode(positionOf(last, query.sort), filters) : null,
    };
  }

  /**
   * A partial update in one conditional UPDATE, by the owner or an editor (the policy's
   * condition is part of the statement). With a precondition (from If-Match) the row only changes
   * if its version and the caller's access are still those the ETag named, so of two clients
   * updating from the same version (owner or editor alike) exactly one succeeds and the other gets
   * 412; without it, the last write wins. Everyone who can see the task has their cached reads
   * invalidated before this returns.
   */
  async update(userId: string, id: string, patch: UpdateTaskDto, precondition?: TaskPrecondition): Promise<TaskDto> {
    if (!UPDATABLE_FIELDS.some((field) => patch[field] !== undefined)) {
      throw new ValidationProblem([{ field: 'body', message: `send at least one of ${UPDATABLE_FIELDS.join(', ')}` }]);
    }
    const changes: TaskPatch = {
      title: patch.title,
      description: patch.description,
      status: patch.status,
      priority: patch.priority,
      dueAt: patch.dueAt === undefined ? undefined : toUtc(patch.dueAt),
      tags: patch.tags,
    };
    for (let attempt = 1; ; attempt++) {
      const row = await this.tasks.update(userId, id, changes, precondition);
      if (row !== undefined) {
        await this.invalidateAudience(id);
        return toTaskDto(row);
      }
      await this.failWrite(userId, id, 'update', precondition, attempt);
    }
  }

  /**
   * Soft delete, by the owner only: the row stays as a tombstone for the change feed and
   * disappears from everything else; its grants end, each leaving a tombstone in its grantee's
   * feed. Conditional on a precondition exactly like update.
   */
  async remove(userId: string, id: string, precondition?: TaskPrecondition): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const deleted = await this.tasks.softDelete(userId, id, precondition);
      if (deleted !== undefined) {
        if (deleted.endedShares > 0) this.metrics.taskShareChanged('task_deleted', deleted.endedShares);
        await this.invalidateAudience(id);
        return;
      }
      await this.failWrite(userId, id, 'delete', precondition, attempt);
    }
  }

  /** Everyone who can (or could, until this change) see the task: their cached reads go stale. */
  private async invalidateAudience(id: string): Promise<void> {
    if (!this.userCache.enabled) return;
    await this.userCache.invalidate(...(await this.tasks.audience(id)));
  }

  /**
   * Why a conditional write changed nothing, in the policy's order: the caller cannot see the
   * task (404, whether or not it exists), or can but may not do this (403), or may and the
   * precondition no longer holds (412). Absent wins: a deleted task answers 404 whatever If-Match
   * says. Without a precondition a write is never 412: when the access read after the statement
   * allows what the statement refused, the access changed between the two (a role taken away and
   * given back), so the caller runs the statement again (returns); after MAX_WRITE_ATTEMPTS such
   * flips it answers from what the statements saw, a refusal (403).
   */
  private async failWrite(userId: string, id: string, action: TaskAction, precondition: TaskPrecondition | undefined, attempt: number): Promise<void> {
    authorize(await this.tasks.accessOf(userId, id), action, taskNotFound);
    if (precondition !== undefined) {
      throw new ProblemException(
        412,
        'precondition-failed',
        'The task changed since you read it (If-Match does not name its current ETag); nothing was changed. GET it again and retry.',
      );
    }
    if (attempt >= MAX_WRITE_ATTEMPTS) {
      throw new ProblemException(
        403,
        'forbidden',
        'Your access to this task changed while the change was being made; nothing was changed. GET it again and retry.',
      );
    }
  }
}
