import { DataSource } from 'typeorm';
import { Tasks1763790000000 } from '../migrations/1763790000000-tasks';
import { TaskShares1764930000000 } from '../migrations/1764930000000-task-shares';
import { accessCondition, accessExpression } from '../src/tasks/access/task-access.policy';
import type { CursorPosition } from '../src/tasks/task-cursor';
import { buildListQuery, positionOf, type TaskRow } from '../src/tasks/tasks.repository';
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
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('tasks schema (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '1000' });
  let ownerId: string;
  let sharerId: string;

  beforeAll(async () => {
    ownerId = (await registerUser(t.api)).user.id;
    sharerId = (await registerUser(t.api)).user.id;
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
    // Another user's 3,000 tasks, 2,000 of them shared with the owner (the copies of the sort keys
    // as a grant makes them), spread over the same time range as the owner's.
    await t.sql(
      `INSERT INTO tasks (id, owner_id, title, status, priority, due_at, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'shared ' || i, (ARRAY['todo','in_progress'])[1 + i % 2]::task_status,
              (ARRAY['low','medium','high'])[1 + i % 3]::task_priority,
              CASE WHEN i % 4 = 0 THEN NULL ELSE now() + i * interval '7 minute' END,
              now() + i * interval '7 second', now() + i * interval '7 second'
       FROM generate_series(1, 3000) AS i`,
      [sharerId],
    );
    await t.sql(
      `INSERT INTO task_shares (task_id, grantee_id, owner_id, role, task_created_at, task_updated_at, task_priority, task_due_at)
       SELECT id, $2, owner_id, 'viewer', created_at, updated_at, priority, due_at FROM tasks WHERE owner_id = $1 ORDER BY id LIMIT 2000`,
      [sharerId, ownerId],
    );
    await t.sql('ANALYZE tasks');
    await t.sql('ANALYZE task_shares');
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
    const sharesExist = async () =>
      (await runner.query(
        `SELECT to_regclass('task_shares') IS NOT NULL AS shares, to_regclass('task_access_ends') IS NOT NULL AS ends,
                to_regtype('task_share_role') IS NOT NULL AS role, to_regprocedure('tasks_sync_shares()') IS NOT NULL AS sync`,
      )) as Array<Record<string, boolean>>;
    await runner.startTransaction();
    try {
      const migration = new Tasks1763790000000();
      const shares = new TaskShares1764930000000();
      await shares.down(runner);
      expect(await sharesExist()).toEqual([{ shares: false, ends: false, role: false, sync: false }]);
      await migration.down(runner);
      expect(await exists()).toEqual([{ tasks: false, keys: false, status: false, seq: false, fn: false }]);
      await migration.up(runner);
      expect(await exists()).toEqual([{ tasks: true, keys: true, status: true, seq: true, fn: true }]);
      await shares.up(runner);
      expect(await sharesExist()).toEqual([{ shares: true, ends: true, role: true, sync: true }]);
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
    const filters: TaskFilters = { ownerId, scope: 'own', ...extra };
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

  /** A deep position in `sort`: the 1,500th row of the owner's mixed list. */
  async function deepPosition(sort: TaskSort): Promise<CursorPosition> {
    const rows = await t.sql<{ id: string; createdAt: Date; updatedAt: Date; dueAt: Date | null; priority: 'low' | 'medium' | 'high' }>(
      buildListQuery({ ownerId }, sort, 1500).text,
      buildListQuery({ ownerId }, sort, 1500).params,
    );
    const deep = rows.at(-1);
    if (!deep) throw new Error('no rows');
    return positionOf({ ...deep, access: 'owner' } as TaskRow, sort);
  }

  const mixedCases: Array<[TaskSort, string, string]> = [
    ['-createdAt', 'tasks_owner_created_idx', 'task_shares_grantee_created_idx'],
    ['createdAt', 'tasks_owner_created_idx', 'task_shares_grantee_created_idx'],
    ['-updatedAt', 'tasks_owner_updated_idx', 'task_shares_grantee_updated_idx'],
    ['priority', 'tasks_owner_priority_idx', 'task_shares_grantee_priority_idx'],
    ['dueAt', 'tasks_owner_due_asc_idx', 'task_shares_grantee_due_asc_idx'],
    ['-dueAt', 'tasks_owner_due_desc_idx', 'task_shares_grantee_due_desc_idx'],
  ];

  it.each(mixedCases)(
    'the mixed list (own and shared) sort=%s merges two short walks of %s and %s, first page and deep page alike',
    async (sort, ownIndex, sharedIndex) => {
      for (const position of [undefined, await deepPosition(sort)]) {
        const query = buildListQuery({ ownerId }, sort, 21, position);
        const [row] = await t.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${query.text}`, query.params);
        const root = row?.['QUERY PLAN'][0]?.Plan;
        if (!root) throw new Error('no plan');
        const planNodes = nodes(root);
        // Each source is walked in order through its index, the shared one joined to its task by
        // primary key; no node handles more than the two pages' worth of rows (2 x 21): whatever
        // sorts the merge never sees more, and nothing reads all 22,000 visible rows.
        expect(planNodes.map((node) => node['Node Type'])).not.toContain('Seq Scan');
        expect(new Set(planNodes.filter((node) => node['Index Name']).map((node) => node['Index Name']))).toEqual(
          new Set([ownIndex, sharedIndex, 'tasks_pkey']),
        );
        for (const node of planNodes)
          expect({ node: node['Node Type'], rows: node['Actual Rows'] ?? 0 }).toEqual({ node: node['Node Type'], rows: expect.any(Number) });
        expect(Math.max(...planNodes.map((node) => node['Actual Rows'] ?? 0))).toBeLessThanOrEqual(42);
      }
    },
  );

  it('reads a shared task as it reads an own task: by primary key, one grant probe', async () => {
    const [shared] = await t.sql<{ task_id: string }>('SELECT task_id FROM task_shares WHERE grantee_id = $1 LIMIT 1', [ownerId]);
    const [own] = await t.sql<{ id: string }>('SELECT id FROM tasks WHERE owner_id = $1 LIMIT 1', [ownerId]);
    for (const id of [shared?.task_id, own?.id]) {
      const planNodes = await plan(
        `SELECT t.id, ${accessExpression('t', '$2::uuid')} AS access FROM tasks t WHERE t.id = $1 AND t.deleted_at IS NULL AND ${accessCondition('read', 't', '$2::uuid')}`,
        [id, ownerId],
      );
      expect(planNodes.map((node) => node['Node Type'])).not.toContain('Seq Scan');
      expect(
        planNodes
          .filter((node) => node['Index Name'])
          .map((node) => node['Index Name'])
          .sort(),
      ).toEqual(['task_shares_pkey', 'task_shares_pkey', 'tasks_pkey']);
    }
  });

  it('finds a rare search term through the full-text index', async () => {
    const query = buildListQuery({ ownerId, scope: 'own', q: 'zanzibar' }, '-createdAt', 21);
    const planNodes = await plan(query.text, query.params);
    expect(planNodes.map((node) => node['Index Name'])).toContain('tasks_search_idx');
    const rows = await t.sql(query.text, query.params);
    expect(rows).toHaveLength(20);
  });

  it('reads the change feed through the (user, change_xid, change_seq) index of each source, from the start and caught up', async () => {
    const [{ latest }] = (await t.sql<{ latest: string }>(
      `SELECT greatest((SELECT max(change_xid) FROM tasks WHERE owner_id = $1), (SELECT max(change_xid) FROM task_shares WHERE grantee_id = $1))::text AS latest`,
      [ownerId],
    )) as [{ latest: string }];
    const indexes = ['tasks_owner_change_idx', 'task_shares_grantee_change_idx', 'task_access_ends_grantee_change_idx'];
    // From the start, the owner's 20,000 rows are walked in index order; the 2,000 grants (all of
    // this table) may be read whole and hashed to their tasks, as the planner finds cheaper for a
    // first page of 500 out of 2,000 (the pending check still probes each index once).
    const fromStart = await plan(CHANGES_SQL, [ownerId, '0', '0', 500]);
    for (const index of indexes) expect(fromStart.filter((node) => node['Index Name'] === index).length).toBeGreaterThanOrEqual(1);
    expect(fromStart.filter((node) => node['Index Name'] === 'tasks_owner_change_idx')).toHaveLength(2);
    // Caught up (the common poll): every source is an index probe, nothing is scanned.
    const caughtUp = await plan(CHANGES_SQL, [ownerId, latest, '0', 500]);
    expect(caughtUp.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    for (const index of indexes) {
      expect({ index, scans: caughtUp.filter((node) => node['Index Name'] === index).length }).toEqual({ index, scans: 2 });
    }
  });
});
