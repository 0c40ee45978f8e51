import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuthUser } from '../auth/auth-user';
import { UserCacheService } from '../common/cache/user-cache.service';
import { IdempotencyService, type IdempotentRequest } from '../common/idempotency/idempotency.service';
import { ProblemException, ValidationProblem } from '../common/problem/problem.exception';
import { AppConfig } from '../config/app-config';
import { ChangeTokenCodec, nextPosition, type ChangePosition } from './change-token';
import type { CreateTaskDto } from './dto/create-task.dto';
import type { ListChangesQueryDto } from './dto/list-changes-query.dto';
import type { ListTasksQueryDto } from './dto/list-tasks-query.dto';
import type { ChangesPageDto, TaskDto, TaskPageDto } from './dto/task.dto';
import { UPDATABLE_FIELDS, type UpdateTaskDto } from './dto/update-task.dto';
import { TaskCursorCodec } from './task-cursor';
import { taskNotFound } from './task-id.pipe';
import { buildListQuery, positionOf } from './task-list-query';
import { toTaskDto, toTombstoneDto } from './task.mapper';
import { TASK_COLUMNS, type TaskFilters, type TaskPriority, type TaskRow, type TaskStatus } from './task.types';

export interface CreatedTask {
  task: TaskDto;
  /** True when an Idempotency-Key matched an earlier request and its response is replayed. */
  replayed: boolean;
}

/** A create request after normalisation: what is stored, and what an Idempotency-Key is bound to. */
interface NewTask {
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  dueAt: string | null;
  tags: string[];
}

type ChangeRow = TaskRow & { deleted_at: Date | null; change_xid: string; change_seq: string };
type ChangesQueryRow = Partial<ChangeRow> & { horizon: string; pending: boolean };

const IDEMPOTENCY_SCOPE = 'tasks.create';

/** Milliseconds, UTC: the precision and form the database stores and the API returns. */
function toUtc(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : new Date(value).toISOString();
}

/**
 * TypeORM answers a bare UPDATE with [rows, rowCount] but a SELECT with rows; wrapping the
 * UPDATE ... RETURNING in a CTE gives every write the same, plain result shape.
 */
function returningRows(update: string): string {
  return `WITH changed AS (${update}) SELECT * FROM changed`;
}

/**
 * The change feed, in one statement (so the horizon and the rows come from one snapshot).
 *
 * Why not `updated_at > since` or a plain sequence: both are assigned before commit, and
 * transactions commit in any order. A writer that stamped seq 41 may commit after one that
 * stamped seq 42 and was already delivered; a client holding "42" would never see 41.
 *
 * Every write stamps its row with its transaction id (change_xid) and a sequence number
 * (change_seq); see the migration's column defaults and trigger. The feed only returns rows whose
 * change_xid is below the snapshot's xmin, the oldest transaction still running: every transaction
 * below it has ended, so no row can ever appear or change below that horizon again. Rows are
 * returned in (change_xid, change_seq) order and the token records the last one delivered (or the
 * horizon, once everything below it has been delivered); rows above the horizon are delivered on
 * a later poll, once the transactions before them have finished. A long transaction anywhere in
 * the cluster delays the feed (by its duration, bounded by statement_timeout for ours) but never
 * makes it skip.
 *
 * `pending` says whether committed changes of this owner wait above the horizon; see changes().
 * The horizon is read through scalar subqueries so PostgreSQL can use it as an index condition on
 * (owner_id, change_xid, change_seq); `pending` folds both of its lower bounds into one row
 * comparison (a B-tree starts its scan at one bound only) and looks for the first such row in
 * index order (an EXISTS tempts the planner into a sequential scan of the owner's whole history).
 */
export const CHANGES_SQL = `
  WITH horizon AS MATERIALIZED (
    SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin
  ), above AS MATERIALIZED (
    -- max(since, (horizon, 0)): rows after it are exactly the changes not deliverable yet.
    SELECT CASE WHEN xmin > $2::bigint THEN xmin ELSE $2::bigint END AS xid,
           CASE WHEN xmin > $2::bigint THEN 0 ELSE $3::bigint END AS seq
    FROM horizon
  ), pending AS (
    SELECT count(*) > 0 AS pending FROM (
      SELECT 1 FROM tasks
      WHERE owner_id = $1 AND (change_xid, change_seq) > ((SELECT xid FROM above), (SELECT seq FROM above))
      ORDER BY change_xid, change_seq
      LIMIT 1
    ) first_pending
  ), delivered AS (
    SELECT ${TASK_COLUMNS}, deleted_at, change_xid, change_seq
    FROM tasks
    WHERE owner_id = $1 AND (change_xid, change_seq) > ($2::bigint, $3::bigint) AND change_xid < (SELECT xmin FROM horizon)
    ORDER BY change_xid, change_seq
    LIMIT $4
  )
  SELECT horizon.xmin AS horizon, pending.pending, delivered.*
  FROM horizon CROSS JOIN pending LEFT JOIN delivered ON true
  ORDER BY delivered.change_xid, delivered.change_seq`;

@Injectable()
export class TasksService {
  private readonly cursors: TaskCursorCodec;
  private readonly changeTokens: ChangeTokenCodec;

  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyService,
    private readonly userCache: UserCacheService,
    config: AppConfig,
  ) {
    this.cursors = new TaskCursorCodec(config.jwtSecret);
    this.changeTokens = new ChangeTokenCodec(config.jwtSecret);
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
      return { task: await this.insert(this.dataSource.manager, ownerId, task), replayed: false };
    }
    const request: IdempotentRequest = { userId: ownerId, scope: IDEMPOTENCY_SCOPE, key: idempotencyKey, request: task };
    const created = await this.dataSource.transaction(async (manager): Promise<CreatedTask> => {
      const claim = await this.idempotency.claim<TaskDto>(manager, request);
      if (claim.kind === 'replay') return { task: claim.response, replayed: true };
      const inserted = await this.insert(manager, ownerId, task);
      await this.idempotency.complete(manager, request, inserted.id, inserted);
      return { task: inserted, replayed: false };
    });
    this.idempotency.purgeExpiredSoon();
    return created;
  }

  private async insert(manager: EntityManager, ownerId: string, task: NewTask): Promise<TaskDto> {
    const rows: TaskRow[] = await manager.query(
      `INSERT INTO tasks (id, owner_id, title, description, status, priority, due_at, tags, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $5::task_status = 'done' THEN now() END)
       RETURNING ${TASK_COLUMNS}`,
      [uuidv7(), ownerId, task.title, task.description, task.status, task.priority, task.dueAt, task.tags],
    );
    return toTaskDto(this.single(rows));
  }

  async findOne(ownerId: string, id: string): Promise<TaskDto> {
    const rows: TaskRow[] = await this.dataSource.query(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL`,
      [id, ownerId],
    );
    const [row] = rows;
    if (row === undefined) throw taskNotFound();
    return toTaskDto(row);
  }

  /**
   * One page of the caller's tasks (or, for an admin with ownerId, another user's). Keyset
   * pagination: the cursor carries the last row's sort key and id, and the next page is an index
   * range scan from there (see buildListQuery), so page 50,000 costs what page 1 costs.
   */
  async list(caller: AuthUser, query: ListTasksQueryDto): Promise<TaskPageDto> {
    let ownerId = caller.id;
    if (query.ownerId !== undefined) {
      if (caller.role !== 'admin') {
        throw new ProblemException(403, 'forbidden', "Only admins may list another user's tasks (ownerId)");
      }
      ownerId = query.ownerId.toLowerCase();
    }
    const filters: TaskFilters = {
      ownerId,
      status: query.status,
      priority: query.priority,
      tag: query.tag,
      dueBefore: query.dueBefore,
      dueAfter: query.dueAfter,
      q: query.q,
    };
    const after = query.cursor === undefined ? undefined : this.cursors.decode(query.cursor, query.sort, filters);
    const { text, params } = buildListQuery(filters, query.sort, query.limit + 1, after);
    const rows: TaskRow[] = await this.dataSource.query(text, params);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const hasMore = rows.length > query.limit && last !== undefined;
    return {
      data: page.map(toTaskDto),
      nextCursor: hasMore ? this.cursors.encode(positionOf(last, query.sort), filters) : null,
    };
  }

  /**
   * A partial update in one conditional UPDATE. With `expectedVersion` (from If-Match) the row
   * only changes if its version still matches, so of two clients updating from the same version
   * exactly one succeeds and the other gets 412; without it, the last write wins.
   */
  async update(ownerId: string, id: string, patch: UpdateTaskDto, expectedVersion?: number): Promise<TaskDto> {
    if (!UPDATABLE_FIELDS.some((field) => patch[field] !== undefined)) {
      throw new ValidationProblem([{ field: 'body', message: `send at least one of ${UPDATABLE_FIELDS.join(', ')}` }]);
    }
    const params: unknown[] = [id, ownerId];
    const param = (value: unknown, cast: string): string => {
      params.push(value);
      return `$${params.length}::${cast}`;
    };
    const sets = ['version = version + 1', 'updated_at = now()'];
    if (patch.title !== undefined) sets.push(`title = ${param(patch.title, 'varchar')}`);
    if (patch.description !== undefined) sets.push(`description = ${param(patch.description, 'varchar')}`);
    if (patch.status !== undefined) {
      const status = param(patch.status, 'task_status');
      // Entering done stamps completedAt once (a done task patched again keeps its original);
      // any other status clears it. On the right-hand side completed_at is the old value.
      sets.push(`status = ${status}`, `completed_at = CASE WHEN ${status} = 'done' THEN coalesce(completed_at, now()) END`);
    }
    if (patch.priority !== undefined) sets.push(`priority = ${param(patch.priority, 'task_priority')}`);
    if (patch.dueAt !== undefined) sets.push(`due_at = ${param(toUtc(patch.dueAt), 'timestamptz')}`);
    if (patch.tags !== undefined) sets.push(`tags = ${param(patch.tags, 'text[]')}`);
    const versionCheck = expectedVersion === undefined ? '' : ` AND version = ${param(expectedVersion, 'integer')}`;
    const rows: TaskRow[] = await this.dataSource.query(
      returningRows(`UPDATE tasks SET ${sets.join(', ')}
       WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL${versionCheck}
       RETURNING ${TASK_COLUMNS}`),
      params,
    );
    const [row] = rows;
    if (row === undefined) return this.failWrite(ownerId, id);
    return toTaskDto(row);
  }

  /**
   * Soft delete: the row stays as a tombstone for the change feed and disappears from everything
   * else. Conditional on `expectedVersion` exactly like update.
   */
  async remove(ownerId: string, id: string, expectedVersion?: number): Promise<void> {
    const params: unknown[] = [id, ownerId];
    let versionCheck = '';
    if (expectedVersion !== undefined) {
      params.push(expectedVersion);
      versionCheck = ' AND version = $3::integer';
    }
    const rows: unknown[] = await this.dataSource.query(
      returningRows(`UPDATE tasks SET deleted_at = now(), updated_at = now(), version = version + 1
       WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL${versionCheck}
       RETURNING id`),
      params,
    );
    if (rows.length === 0) await this.failWrite(ownerId, id);
  }

  /**
   * Why a conditional write changed nothing: the task is not there (for this owner), or it is
   * and its version moved on. Absent wins: a deleted task answers 404 whatever If-Match says.
   */
  private async failWrite(ownerId: string, id: string): Promise<never> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM tasks WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL`, [
      id,
      ownerId,
    ]);
    if (rows.length === 0) throw taskNotFound();
    throw new ProblemException(
      412,
      'precondition-failed',
      'The task changed since you read it (If-Match does not name its current ETag); nothing was changed. GET it again and retry.',
    );
  }

  /** Everything that changed in the owner's tasks after `since`, deletions included (see CHANGES_SQL). */
  async changes(ownerId: string, query: ListChangesQueryDto): Promise<ChangesPageDto> {
    const since = this.changeTokens.decode(query.since);
    const rows: ChangesQueryRow[] = await this.dataSource.query(CHANGES_SQL, [
      ownerId,
      since.xid.toString(),
      since.seq.toString(),
      query.limit,
    ]);
    const first = rows[0];
    if (first === undefined) throw new Error('the change feed query returned no horizon row');
    const delivered = rows.filter((row): row is ChangesQueryRow & ChangeRow => row.id !== undefined && row.id !== null);
    const lastRow = delivered.at(-1);
    const last: ChangePosition | undefined = lastRow ? { xid: BigInt(lastRow.change_xid), seq: BigInt(lastRow.change_seq) } : undefined;
    const next = nextPosition(since, BigInt(first.horizon), last, delivered.length === query.limit);
    if (first.pending) {
      // This answer is provisional: committed changes wait above the horizon and will be
      // deliverable as soon as older transactions (possibly other users') end, which invalidates
      // nothing. Moving this user's cache generation on keeps this answer out of the cache (it is
      // stored under the generation read before the handler ran), so the next poll reads afresh.
      await this.userCache.invalidate(ownerId);
    }
    return {
      changes: delivered.map((row) => (row.deleted_at ? toTombstoneDto(row.id, row.deleted_at) : toTaskDto(row))),
      next: this.changeTokens.encode(next),
    };
  }

  private single<T>(rows: T[]): T {
    const [row] = rows;
    if (row === undefined) throw new Error('expected one row from INSERT ... RETURNING');
    return row;
  }
}
