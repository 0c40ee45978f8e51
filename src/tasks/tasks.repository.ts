import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { queryRows } from '../database/query-rows';
import { selectList } from '../database/select-list';
import type { CursorPosition } from './task-cursor';
import { TaskEntity } from './task.entity';
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

/** A task as the hand-written SQL below returns it: the entity's own properties, so one description of the table. */
export type TaskRow = Pick<TaskEntity, (typeof TASK_FIELDS)[number]>;

/** `id, owner_id AS "ownerId", ...`: TASK_FIELDS as a SELECT or RETURNING list (see selectList). */
export const TASK_COLUMNS = selectList(TaskEntity, TASK_FIELDS);

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
 * How one sort maps onto SQL: the ORDER BY expressions (the last is always the id, the
 * tie-breaker), their direction, and the matching cursor parameters. The expressions are written
 * exactly as in the migration's indexes, so PostgreSQL walks an index from the cursor position and
 * stops after `limit` rows: no sort of the whole set, no OFFSET, the same cost at any depth.
 */
interface SortPlan {
  expressions: string[];
  descending: boolean;
  /** The cursor parameters, cast like the expressions they are compared with ({} = placeholder). */
  casts: string[];
  values(position: CursorPosition): unknown[];
}

const DUE_ASC = `coalesce(due_at, 'infinity'::timestamptz)`;
const DUE_DESC = `coalesce(due_at, '-infinity'::timestamptz)`;

function timestampPlan(column: string, descending: boolean): SortPlan {
  return {
    expressions: [column, 'id'],
    descending,
    casts: ['{}::timestamptz', '{}::uuid'],
    values: (p) => ('at' in p ? [p.at, p.id] : []),
  };
}

function duePlan(descending: boolean): SortPlan {
  // NULL due dates sort last in both directions: ascending maps them to +infinity, descending to
  // -infinity (each with its own index, see the migration).
  const infinity = descending ? `'-infinity'::timestamptz` : `'infinity'::timestamptz`;
  return {
    expressions: [descending ? DUE_DESC : DUE_ASC, 'id'],
    descending,
    casts: [`coalesce({}::timestamptz, ${infinity})`, '{}::uuid'],
    values: (p) => ('dueAt' in p ? [p.dueAt, p.id] : []),
  };
}

function priorityPlan(descending: boolean): SortPlan {
  return {
    expressions: ['priority', 'created_at', 'id'],
    descending,
    casts: ['{}::task_priority', '{}::timestamptz', '{}::uuid'],
    values: (p) => ('priority' in p ? [p.priority, p.createdAt, p.id] : []),
  };
}

const SORT_PLANS: Record<TaskSort, SortPlan> = {
  createdAt: timestampPlan('created_at', false),
  '-createdAt': timestampPlan('created_at', true),
  updatedAt: timestampPlan('updated_at', false),
  '-updatedAt': timestampPlan('updated_at', true),
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
 * The list query for one page: the owner's live tasks matching the filters, after the cursor
 * position when there is one, in the requested order, `fetch` rows (the caller asks for one more
 * than the page size to learn whether another page exists). Every value is a parameter.
 */
export function buildListQuery(filters: TaskFilters, sort: TaskSort, fetch: number, after?: CursorPosition): SqlQuery {
  const params: unknown[] = [];
  const param = (value: unknown, cast = '{}'): string => {
    params.push(value);
    return cast.replace('{}', `$${params.length}`);
  };
  const plan = SORT_PLANS[sort];
  const where = [`owner_id = ${param(filters.ownerId, '{}::uuid')}`, 'deleted_at IS NULL'];
  if (filters.status !== undefined) where.push(`status = ${param(filters.status, '{}::task_status')}`);
  if (filters.priority !== undefined) where.push(`priority = ${param(filters.priority, '{}::task_priority')}`);
  if (filters.tag !== undefined) where.push(`tags @> ARRAY[${param(filters.tag, '{}::text')}]`);
  if (filters.dueBefore !== undefined || filters.dueAfter !== undefined) {
    // Written over the same coalesce() expression as the dueAt index in use, so the bounds become
    // index conditions; `due_at IS NOT NULL` keeps undated tasks out of every due-date range.
    where.push('due_at IS NOT NULL');
    const ascending = sort === 'dueAt' || (sort !== '-dueAt' && filters.dueBefore !== undefined);
    const dueExpression = ascending ? DUE_ASC : DUE_DESC;
    if (filters.dueAfter !== undefined) where.push(`${dueExpression} >= ${param(filters.dueAfter, '{}::timestamptz')}`);
    if (filters.dueBefore !== undefined) where.push(`${dueExpression} < ${param(filters.dueBefore, '{}::timestamptz')}`);
  }
  if (filters.q !== undefined) {
    where.push(`search @@ websearch_to_tsquery('${SEARCH_CONFIG}'::regconfig, ${param(filters.q, '{}::text')})`);
  }
  if (after !== undefined) {
    const values = plan.values(after);
    const placeholders = plan.casts.map((cast, index) => param(values[index], cast));
    where.push(`(${plan.expressions.join(', ')}) ${plan.descending ? '<' : '>'} (${placeholders.join(', ')})`);
  }
  const direction = plan.descending ? 'DESC' : 'ASC';
  const orderBy = plan.expressions.map((expression) => `${expression} ${direction}`).join(', ');
  const text = `SELECT ${TASK_COLUMNS} FROM tasks WHERE ${where.join(' AND ')} ORDER BY ${orderBy} LIMIT ${param(fetch, '{}::integer')}`;
  return { text, params };
}

/**
 * The conditional UPDATE of a PATCH: only the fields present, the version bumped, and with
 * `expectedVersion` only at that version (an If-Match). Pure, like buildListQuery.
 */
export function buildUpdateQuery(ownerId: string, id: string, patch: TaskPatch, expectedVersion?: number): SqlQuery {
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
  if (patch.dueAt !== undefined) sets.push(`due_at = ${param(patch.dueAt, 'timestamptz')}`);
  if (patch.tags !== undefined) sets.push(`tags = ${param(patch.tags, 'text[]')}`);
  const versionCheck = expectedVersion === undefined ? '' : ` AND version = ${param(expectedVersion, 'integer')}`;
  return {
    text: `UPDATE tasks SET ${sets.join(', ')}
       WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL${versionCheck}
       RETURNING ${TASK_COLUMNS}`,
    params,
  };
}

/**
 * The tasks table: every statement TasksService runs. Hand-written SQL, because each write is one
 * conditional statement (the version check of If-Match, completedAt kept in step with the status)
 * and each list page is a keyset walk of an index (buildListQuery); the rows come back typed by
 * the entity.
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
       RETURNING ${TASK_COLUMNS}`,
      [uuidv7(), ownerId, task.title, task.description, task.status, task.priority, task.dueAt, task.tags],
    );
    const [row] = rows;
    if (row === undefined) throw new Error('expected one row from INSERT ... RETURNING');
    return row;
  }

  /** The owner's task unless it is deleted; undefined when there is none. */
  async findLive(ownerId: string, id: string): Promise<TaskRow | undefined> {
    const rows: TaskRow[] = await this.tasks.manager.query(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL`, [
      id,
      ownerId,
    ]);
    return rows[0];
  }

  async existsLive(ownerId: string, id: string): Promise<boolean> {
    const rows: unknown[] = await this.tasks.manager.query(`SELECT 1 FROM tasks WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL`, [id, ownerId]);
    return rows.length > 0;
  }

  /** One page in `sort` order after `after`, `fetch` rows at most (see buildListQuery). */
  page(filters: TaskFilters, sort: TaskSort, fetch: number, after?: CursorPosition): Promise<TaskRow[]> {
    const { text, params } = buildListQuery(filters, sort, fetch, after);
    return this.tasks.manager.query(text, params);
  }

  /**
   * One conditional UPDATE: the owner's live task, and with `expectedVersion` only at that version.
   * Undefined when no row matched (TasksService tells 404 from 412).
   */
  async update(ownerId: string, id: string, patch: TaskPatch, expectedVersion?: number): Promise<TaskRow | undefined> {
    const { text, params } = buildUpdateQuery(ownerId, id, patch, expectedVersion);
    const [row] = await queryRows<TaskRow>(this.tasks.manager, text, params);
    return row;
  }

  /**
   * Soft delete: the row stays as a tombstone for the change feed. Conditional like update; false
   * when no row matched.
   */
  async softDelete(ownerId: string, id: string, expectedVersion?: number): Promise<boolean> {
    const params: unknown[] = [id, ownerId];
    let versionCheck = '';
    if (expectedVersion !== undefined) {
      params.push(expectedVersion);
      versionCheck = ' AND version = $3::integer';
    }
    const rows = await queryRows(
      this.tasks.manager,
      `UPDATE tasks SET deleted_at = now(), updated_at = now(), version = version + 1
       WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL${versionCheck}
       RETURNING id`,
      params,
    );
    return rows.length > 0;
  }
}
