import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { queryRows } from '../database/query-rows';
import { selectList } from '../database/select-list';
import type { CursorPosition } from './task-cursor';
import type { TaskPrecondition } from './task-etag';
import { TaskEntity } from './task.entity';
import { accessCondition, accessExpression, type TaskAccess } from './access/task-access.policy';
import { SEARCH_CONFIG, type TaskFilters, type TaskPriority, type TaskSort, type TaskStatus } from './task.types';

/** The fields every task read returns (the tombstone and change-feed columns are the feed's). */
export const TASK_FIELDS = [
  'id',
  'ownerId',
  'title',
  'description',
  'status',
  'priority',
  'dueAt',
  'tags',
  'version',
  'createdAt',
  'updatedAt',
  'completedAt',
] as const satisfies ReadonlyArray<keyof TaskEntity>;

/**
 * A task as the hand-written SQL below returns it: the entity's own properties (so one
 * description of the table), and the reading user's access to it.
 */
export type TaskRow = Pick<TaskEntity, (typeof TASK_FIELDS)[number]> & { access: TaskAccess };

/** `t.id, t.owner_id AS "ownerId", ...`: TASK_FIELDS as a SELECT or RETURNING list of the row `t` (see selectList). */
export const TASK_COLUMNS = selectList(TaskEntity, TASK_FIELDS, 't');

/** The same list unqualified, for the RETURNING of an INSERT (which has no alias). */
const TASK_COLUMNS_UNQUALIFIED = selectList(TaskEntity, TASK_FIELDS);

/** The output names of TASK_COLUMNS, for the outer SELECT of the mixed list. */
const TASK_OUTPUT_NAMES = TASK_FIELDS.map((field) => `"${field}"`).join(', ');

/** A task to insert, normalised by TasksService (dueAt as ISO-8601 UTC). */
export interface NewTask {
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  dueAt: string | null;
  tags: string[];
}

/** The fields a partial update sets; absent ones are left alone, null clears description and dueAt. */
export type TaskPatch = Partial<NewTask>;

export interface SqlQuery {
  text: string;
  params: unknown[];
}

/**
 * Where a list reads a task's sort keys: from the task row itself (the user's own tasks, through
 * the tasks indexes) or from the copies on the grant (tasks shared with the user, through the
 * task_shares indexes, which the tasks_sync_shares trigger keeps equal to the task's).
 */
interface SortColumns {
  createdAt: string;
  updatedAt: string;
  priority: string;
  dueAt: string;
  id: string;
}

const OWN_COLUMNS: SortColumns = { createdAt: 't.created_at', updatedAt: 't.updated_at', priority: 't.priority', dueAt: 't.due_at', id: 't.id' };
const SHARED_COLUMNS: SortColumns = {
  createdAt: 'share.task_created_at',
  updatedAt: 'share.task_updated_at',
  priority: 'share.task_priority',
  dueAt: 'share.task_due_at',
  id: 'share.task_id',
};

/**
 * How one sort maps onto SQL: the ORDER BY expressions over a source's columns (the last is always
 * the id, the tie-breaker), their direction, and the matching cursor parameters. The expressions
 * are written exactly as in the migrations' indexes, so PostgreSQL walks an index from the cursor
 * position and stops after `limit` rows: no sort of the whole set, no OFFSET, the same cost at any depth.
 */
interface SortPlan {
  expressions(columns: SortColumns): string[];
  descending: boolean;
  /** The cursor parameters, cast like the expressions they are compared with ({} = placeholder). */
  casts: string[];
  values(position: CursorPosition): unknown[];
}

function dueExpression(column: string, descending: boolean): string {
  return `coalesce(${column}, '${descending ? '-' : ''}infinity'::timestamptz)`;
}

function timestampPlan(key: 'createdAt' | 'updatedAt', descending: boolean): SortPlan {
  return {
    expressions: (columns) => [columns[key], columns.id],
    descending,
    casts: ['{}::timestamptz', '{}::uuid'],
    values: (p) => ('at' in p ? [p.at, p.id] : []),
  };
}

function duePlan(descending: boolean): SortPlan {
  // NULL due dates sort last in both directions: ascending maps them to +infinity, descending to
  // -infinity (each with its own index, see the migrations).
  return {
    expressions: (columns) => [dueExpression(columns.dueAt, descending), columns.id],
    descending,
    casts: [dueExpression('{}::timestamptz', descending), '{}::uuid'],
    values: (p) => ('dueAt' in p ? [p.dueAt, p.id] : []),
  };
}

function priorityPlan(descending: boolean): SortPlan {
  return {
    expressions: (columns) => [columns.priority, columns.createdAt, columns.id],
    descending,
    casts: ['{}::task_priority', '{}::timestamptz', '{}::uuid'],
    values: (p) => ('priority' in p ? [p.priority, p.createdAt, p.id] : []),
  };
}

const SORT_PLANS: Record<TaskSort, SortPlan> = {
  createdAt: timestampPlan('createdAt', false),
  '-createdAt': timestampPlan('createdAt', true),
  updatedAt: timestampPlan('updatedAt', false),
  '-updatedAt': timestampPlan('updatedAt', true),
  dueAt: duePlan(false),
  '-dueAt': duePlan(true),
  priority: priorityPlan(false),
  '-priority': priorityPlan(true),
};

/** The cursor position of a row in a given sort: where the next page starts. */
export function positionOf(row: TaskRow, sort: TaskSort): CursorPosition {
  switch (sort) {
    case 'dueAt':
    case '-dueAt':
      return { sort, dueAt: row.dueAt ? row.dueAt.toISOString() : null, id: row.id };
    case 'priority':
    case '-priority':
      return { sort, priority: row.priority, createdAt: row.createdAt.toISOString(), id: row.id };
    case 'createdAt':
    case '-createdAt':
      return { sort, at: row.createdAt.toISOString(), id: row.id };
    case 'updatedAt':
    case '-updatedAt':
      return { sort, at: row.updatedAt.toISOString(), id: row.id };
  }
}

/**
 * The list query for one page: the live tasks the user can see (their own and those shared with
 * them, or one of the two with `scope`) matching the filters, after the cursor position when there
 * is one, in the requested order, `fetch` rows (the caller asks for one more than the page size to
 * learn whether another page exists). Every value is a parameter.
 *
 * Own and shared tasks are two index walks, each stopping after `fetch` rows in the requested
 * order (the own ones on the tasks indexes, the shared ones on the task_shares copies of the sort
 * keys); the page is the first `fetch` of their merge. So a page costs two short walks at any
 * depth, never a sort of everything the user can see.
 *
 * `viewerId` is the user whose `access` each row reports; it differs from `filters.ownerId` only
 * for an admin reading another user's tasks (scope `own`).
 */
export function buildListQuery(filters: TaskFilters, sort: TaskSort, fetch: number, after?: CursorPosition, viewerId = filters.ownerId): SqlQuery {
  const params: unknown[] = [];
  const param = (value: unknown, cast = '{}'): string => {
    params.push(value);
    return cast.replace('{}', `$${params.length}`);
  };
  const plan = SORT_PLANS[sort];
  const user = param(filters.ownerId, '{}::uuid');
  const limit = param(fetch, '{}::integer');
  const direction = plan.descending ? 'DESC' : 'ASC';

  // The filters on the task row, the same for both sources.
  const taskConditions = ['t.deleted_at IS NULL'];
  if (filters.status !== undefined) taskConditions.push(`t.status = ${param(filters.status, '{}::task_status')}`);
  if (filters.tag !== undefined) taskConditions.push(`t.tags @> ARRAY[${param(filters.tag, '{}::text')}]`);
  if (filters.q !== undefined) {
    taskConditions.push(`t.search @@ websearch_to_tsquery('${SEARCH_CONFIG}'::regconfig, ${param(filters.q, '{}::text')})`);
  }
  const priority = filters.priority === undefined ? undefined : param(filters.priority, '{}::task_priority');
  // Written over the same coalesce() expression as the dueAt index in use, so the bounds become
  // index conditions; `IS NOT NULL` keeps undated tasks out of every due-date range.
  const dueDescending = sort === '-dueAt' || (sort !== 'dueAt' && filters.dueBefore === undefined);
  const dueAfter = filters.dueAfter === undefined ? undefined : param(filters.dueAfter, '{}::timestamptz');
  const dueBefore = filters.dueBefore === undefined ? undefined : param(filters.dueBefore, '{}::timestamptz');
  const keyset = after === undefined ? undefined : plan.casts.map((cast, index) => param(plan.values(after)[index], cast));

  /** The conditions on a source's sort-key columns: priority, due-date range and the cursor. */
  const keyConditions = (columns: SortColumns): string[] => {
    const conditions: string[] = [];
    if (priority !== undefined) conditions.push(`${columns.priority} = ${priority}`);
    if (dueAfter !== undefined || dueBefore !== undefined) {
      conditions.push(`${columns.dueAt} IS NOT NULL`);
      const due = dueExpression(columns.dueAt, dueDescending);
      if (dueAfter !== undefined) conditions.push(`${due} >= ${dueAfter}`);
      if (dueBefore !== undefined) conditions.push(`${due} < ${dueBefore}`);
    }
    if (keyset !== undefined) {
      conditions.push(`(${plan.expressions(columns).join(', ')}) ${plan.descending ? '<' : '>'} (${keyset.join(', ')})`);
    }
    return conditions;
  };
  const orderBy = (expressions: string[]): string => expressions.map((expression) => `${expression} ${direction}`).join(', ');
  const sortKeys = (columns: SortColumns): string =>
    plan
      .expressions(columns)
      .map((expression, index) => `${expression} AS k${index}`)
      .join(', ');

  // An admin reading another user's tasks reads them as a viewer unless a grant says more.
  const ownAccess = viewerId === filters.ownerId ? `'owner'` : `coalesce(${accessExpression('t', param(viewerId, '{}::uuid'))}, 'viewer')`;
  const own = (withKeys: boolean): string =>
    `SELECT ${TASK_COLUMNS}, ${ownAccess} AS access${withKeys ? `, ${sortKeys(OWN_COLUMNS)}` : ''} FROM tasks t
     WHERE ${[`t.owner_id = ${user}`, ...taskConditions, ...keyConditions(OWN_COLUMNS)].join(' AND ')}
     ORDER BY ${orderBy(plan.expressions(OWN_COLUMNS))} LIMIT ${limit}`;
  const shared = (withKeys: boolean): string =>
    `SELECT ${TASK_COLUMNS}, share.role::text AS access${withKeys ? `, ${sortKeys(SHARED_COLUMNS)}` : ''}
     FROM task_shares share JOIN tasks t ON t.id = share.task_id
     WHERE ${[`share.grantee_id = ${user}`, ...taskConditions, ...keyConditions(SHARED_COLUMNS)].join(' AND ')}
     ORDER BY ${orderBy(plan.expressions(SHARED_COLUMNS))} LIMIT ${limit}`;

  if (filters.scope === 'own') return { text: own(false), params };
  if (filters.scope === 'shared') return { text: shared(false), params };
  const merged = plan.expressions(OWN_COLUMNS).map((_, index) => `k${index} ${direction}`);
  return {
    text: `SELECT ${TASK_OUTPUT_NAMES}, access FROM ((${own(true)}) UNION ALL (${shared(true)})) AS visible ORDER BY ${merged.join(', ')} LIMIT ${limit}`,
    params,
  };
}

/**
 * The SQL of an If-Match precondition on the task row `t` (the caller is `$2`): the version it
 * named, and the access of the representation it named (a role changed since is a new one).
 */
function preconditionCheck(precondition: TaskPrecondition, param: (value: unknown, cast: string) => string): string {
  return ` AND t.version = ${param(precondition.version, 'integer')} AND (${accessExpression('t', '$2::uuid')}) = ${param(precondition.access, 'text')}`;
}

/**
 * The conditional UPDATE of a PATCH: only the fields present, the version bumped, only if `userId`
 * may update the task (the policy's condition), and with a precondition (an If-Match) only at that
 * version and access. Pure, like buildListQuery.
 */

export function buildUpdateQuery(userId: string, id: string, patch: TaskPatch, precondition?: TaskPrecondition): SqlQuery {
  const params: unknown[] = [id, userId];
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
  if (patch.dueAt !== undefined) sets.push(`due_at = ${param(patch.dueAt, 'timestamptz')}`);
  if (patch.tags !== undefined) sets.push(`tags = ${param(patch.tags, 'text[]')}`);
  const versionCheck = precondition === undefined ? '' : preconditionCheck(precondition, param);
  return {
    text: `UPDATE tasks t SET ${sets.join(', ')}
       WHERE t.id = $1 AND t.deleted_at IS NULL AND ${accessCondition('update', 't', '$2::uuid')}${versionCheck}
       RETURNING ${TASK_COLUMNS}, ${accessExpression('t', '$2::uuid')} AS access`,
    params,
  };
}

/**
 * The tasks table: every statement TasksService runs. Hand-written SQL, because each write is one
 * conditional statement (the access policy's condition, the version check of If-Match, completedAt
 * kept in step with the status) and each list page is a keyset walk of indexes (buildListQuery);
 * the rows come back typed by the entity.
 */
@Injectable()
export class TasksRepository {
  constructor(@InjectRepository(TaskEntity) private readonly tasks: Repository<TaskEntity>) {}

  /** Runs `work` in one transaction; pass its manager to the methods that take one. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.tasks.manager.transaction(work);
  }

  async insert(ownerId: string, task: NewTask, manager: EntityManager = this.tasks.manager): Promise<TaskRow> {
    const rows: TaskRow[] = await manager.query(
      `INSERT INTO tasks (id, owner_id, title, description, status, priority, due_at, tags, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $5::task_status = 'done' THEN now() END)
       RETURNING ${TASK_COLUMNS_UNQUALIFIED}, 'owner' AS access`,
      [uuidv7(), ownerId, task.title, task.description, task.status, task.priority, task.dueAt, task.tags],
    );
    const [row] = rows;
    if (row === undefined) throw new Error('expected one row from INSERT ... RETURNING');
    return row;
  }

  /** The live task if `userId` may read it (its owner or a grantee), with their access; else undefined. */
  async findVisible(userId: string, id: string): Promise<TaskRow | undefined> {
    const rows: TaskRow[] = await this.tasks.manager.query(
      `SELECT ${TASK_COLUMNS}, ${accessExpression('t', '$2::uuid')} AS access FROM tasks t
       WHERE t.id = $1 AND t.deleted_at IS NULL AND ${accessCondition('read', 't', '$2::uuid')}`,
      [id, userId],
    );
    return rows[0];
  }

  /** `userId`'s access to the live task `id`; undefined when they have none (or there is no such task). */
  async accessOf(userId: string, id: string, manager: EntityManager = this.tasks.manager): Promise<TaskAccess | undefined> {
    const rows: Array<{ access: TaskAccess | null }> = await manager.query(
      `SELECT ${accessExpression('t', '$2::uuid')} AS access FROM tasks t WHERE t.id = $1 AND t.deleted_at IS NULL`,
      [id, userId],
    );
    return rows[0]?.access ?? undefined;
  }

  /** One page in `sort` order after `after`, `fetch` rows at most (see buildListQuery). */
  page(filters: TaskFilters, sort: TaskSort, fetch: number, after?: CursorPosition, viewerId?: string): Promise<TaskRow[]> {
    const { text, params } = buildListQuery(filters, sort, fetch, after, viewerId);
    return this.tasks.manager.query(text, params);
  }

  /**
   * One conditional UPDATE: the live task, if `userId` may update it, and with a precondition
   * only at that version. Undefined when no row matched (TasksService tells 404, 403 and 412 apart).
   */
  async update(userId: string, id: string, patch: TaskPatch, precondition?: TaskPrecondition): Promise<TaskRow | undefined> {
    const { text, params } = buildUpdateQuery(userId, id, patch, precondition);
    const [row] = await queryRows<TaskRow>(this.tasks.manager, text, params);
    return row;
  }

  /**
   * Soft delete: the row stays as a tombstone for the change feed (and its grants end, leaving
   * theirs; see the migration's triggers). Conditional like update; undefined when no row
   * matched, else how many grants ended with it.
   */
  async softDelete(userId: string, id: string, precondition?: TaskPrecondition): Promise<{ endedShares: number } | undefined> {
    const params: unknown[] = [id, userId];
    const param = (value: unknown, cast: string): string => {
      params.push(value);
      return `$${params.length}::${cast}`;
    };
    const versionCheck = precondition === undefined ? '' : preconditionCheck(precondition, param);
    const rows = await queryRows<{ endedShares: number }>(
      this.tasks.manager,
      `UPDATE tasks t SET deleted_at = now(), updated_at = now(), version = version + 1
       WHERE t.id = $1 AND t.deleted_at IS NULL AND ${accessCondition('delete', 't', '$2::uuid')}${versionCheck}
       RETURNING (SELECT count(*)::integer FROM task_shares share WHERE share.task_id = t.id) AS "endedShares"`,
      params,
    );
    return rows[0];
  }

  /**
   * Everyone whose cached reads a change of this task may have touched: its owner, its grantees
   * and those whose access to it ended. Read after the change has committed, so a grant that
   * committed before this read is in it, and one that commits after it invalidates its grantee
   * itself, after this change: no grantee can keep a cached read from before the change.
   */
  async audience(id: string): Promise<string[]> {
    const rows: Array<{ userId: string }> = await this.tasks.manager.query(
      `SELECT owner_id AS "userId" FROM tasks WHERE id = $1
       UNION SELECT grantee_id FROM task_shares WHERE task_id = $1
       UNION SELECT grantee_id FROM task_access_ends WHERE task_id = $1`,
      [id],
    );
    return rows.map((row) => row.userId);
  }
}
