import type { CursorPosition } from './task-cursor';
import { SEARCH_CONFIG, TASK_COLUMNS, type TaskFilters, type TaskRow, type TaskSort } from './task.types';

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
      return { sort, dueAt: row.due_at ? row.due_at.toISOString() : null, id: row.id };
    case 'priority':
    case '-priority':
      return { sort, priority: row.priority, createdAt: row.created_at.toISOString(), id: row.id };
    case 'createdAt':
    case '-createdAt':
      return { sort, at: row.created_at.toISOString(), id: row.id };
    case 'updatedAt':
    case '-updatedAt':
      return { sort, at: row.updated_at.toISOString(), id: row.id };
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
