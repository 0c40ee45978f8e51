import { DataSource } from 'typeorm';
import { Tasks1763790000000 } from '../migrations/1763790000000-tasks';
import { buildListQuery } from '../src/tasks/tasks.repository';
import { CHANGES_SQL } from '../src/tasks/changes/changes.repository';
import type { TaskFilters, TaskSort } from '../src/tasks/task.types';
import { registerUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

/**
 * The tasks migration: consistent with the entities, reversible, and its indexes are the ones the
 * list and feed queries actually use (an index scan in the order asked, no sort of the whole set).
 */

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('tasks schema (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '1000' });
  let ownerId: string;

  beforeAll(async () => {
    ownerId = (await registerUser(t.api)).user.id;
    // Enough rows for the planner to prefer an index walk over reading the table, as it does at scale.
    await t.sql(
      `INSERT INTO tasks (id, owner_id, title, description, status, priority, due_at, tags, completed_at)
       SELECT gen_random_uuid(), $1, 'task ' || i || CASE WHEN i % 1000 = 0 THEN ' zanzibar' ELSE '' END, NULL,
              (ARRAY['todo','in_progress','done'])[1 + i % 3]::task_status,
              (ARRAY['low','medium','high'])[1 + i % 3]::task_priority,
              CASE WHEN i % 4 = 0 THEN NULL ELSE now() + i * interval '1 minute' END,
              ARRAY['tag' || (i % 50)],
              CASE WHEN i % 3 = 2 THEN now() END
       FROM generate_series(1, 20000) AS i`,
      [ownerId],
    );
    await t.sql('ANALYZE tasks');
  });

  it('matches the entities exactly: TypeORM would change nothing in any table', async () => {
    const { upQueries } = await t.app.get(DataSource).driver.createSchemaBuilder().log();
    // Every table, accounts included: `npm run migration:generate` must find nothing to do.
    expect(upQueries.map((query) => query.query)).toEqual([]);
  });

  it('reverts and re-applies cleanly', async () => {
    const runner = t.app.get(DataSource).createQueryRunner();
    const exists = async () =>
      (await runner.query(
        `SELECT to_regclass('tasks') IS NOT NULL AS tasks, to_regclass('idempotency_keys') IS NOT NULL AS keys,
                to_regtype('task_status') IS NOT NULL AS status, to_regclass('task_change_seq') IS NOT NULL AS seq,
                to_regprocedure('task_change_xid()') IS NOT NULL AS fn`,
      )) as Array<Record<string, boolean>>;
    await runner.startTransaction();
    try {
      const migration = new Tasks1763790000000();
      await migration.down(runner);
      expect(await exists()).toEqual([{ tasks: false, keys: false, status: false, seq: false, fn: false }]);
      await migration.up(runner);
      expect(await exists()).toEqual([{ tasks: true, keys: true, status: true, seq: true, fn: true }]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  async function plan(text: string, params: unknown[]): Promise<PlanNode[]> {
    const [row] = await t.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${text}`, params);
    const root = row?.['QUERY PLAN'][0]?.Plan;
    if (!root) throw new Error('no plan');
    return nodes(root);
  }

  const cases: Array<[TaskSort, string, Partial<TaskFilters>]> = [
    ['-createdAt', 'tasks_owner_created_idx', {}],
    ['createdAt', 'tasks_owner_created_idx', {}],
    ['-updatedAt', 'tasks_owner_updated_idx', {}],
    ['priority', 'tasks_owner_priority_idx', {}],
    ['-priority', 'tasks_owner_priority_idx', {}],
    ['dueAt', 'tasks_owner_due_asc_idx', {}],
    ['-dueAt', 'tasks_owner_due_desc_idx', {}],
    ['-createdAt', 'tasks_owner_status_created_idx', { status: 'in_progress' }],
    ['dueAt', 'tasks_owner_due_asc_idx', { dueAfter: new Date(Date.now() + 3600_000).toISOString() }],
  ];

  it.each(cases)('sort=%s walks %s in order, first page and deep page alike (%j)', async (sort, index, extra) => {
    const filters: TaskFilters = { ownerId, ...extra };
    // A deep position: the 15,000th row of the owner in this order.
    const all = await t.sql<{ id: string; created_at: Date; updated_at: Date; due_at: Date | null; priority: 'low' | 'medium' | 'high' }>(
      buildListQuery(filters, sort, 15_000).text.replace(/^SELECT .* FROM tasks/, 'SELECT id, created_at, updated_at, due_at, priority FROM tasks'),
      buildListQuery(filters, sort, 15_000).params,
    );
    const deep = all.at(-1);
    if (!deep) throw new Error('no rows');
    const after =
      sort === 'dueAt' || sort === '-dueAt'
        ? { sort, dueAt: deep.due_at ? deep.due_at.toISOString() : null, id: deep.id }
        : sort === 'priority' || sort === '-priority'
          ? { sort, priority: deep.priority, createdAt: deep.created_at.toISOString(), id: deep.id }
          : { sort, at: (sort.includes('updated') ? deep.updated_at : deep.created_at).toISOString(), id: deep.id };
    for (const position of [undefined, after]) {
      const query = buildListQuery(filters, sort, 21, position);
      const planNodes = await plan(query.text, query.params);
      expect(planNodes.map((node) => node['Node Type'])).not.toEqual(expect.arrayContaining(['Sort']));
      expect(planNodes.map((node) => node['Node Type'])).not.toEqual(expect.arrayContaining(['Incremental Sort']));
      expect(planNodes.filter((node) => node['Node Type'] === 'Index Scan').map((node) => node['Index Name'])).toEqual([index]);
    }
  });

  it('finds a rare search term through the full-text index', async () => {
    const query = buildListQuery({ ownerId, q: 'zanzibar' }, '-createdAt', 21);
    const planNodes = await plan(query.text, query.params);
    expect(planNodes.map((node) => node['Index Name'])).toContain('tasks_search_idx');
    const rows = await t.sql(query.text, query.params);
    expect(rows).toHaveLength(20);
  });

  it('reads the change feed through the (owner, change_xid, change_seq) index, from the start and caught up', async () => {
    const [{ latest }] = (await t.sql<{ latest: string }>('SELECT max(change_xid)::text AS latest FROM tasks WHERE owner_id = $1', [ownerId])) as [
      { latest: string },
    ];
    for (const since of [
      ['0', '0'],
      [latest, '0'],
    ]) {
      const planNodes = await plan(CHANGES_SQL, [ownerId, ...since, 500]);
      expect(planNodes.map((node) => node['Node Type'])).not.toContain('Seq Scan');
      expect(planNodes.filter((node) => node['Index Name'] === 'tasks_owner_change_idx')).toHaveLength(2);
    }
  });
});
