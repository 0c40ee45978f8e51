import { buildListQuery, buildUpdateQuery, positionOf, TASK_COLUMNS, type TaskRow } from './tasks.repository';
import type { TaskFilters } from './task.types';

const OWNER = '0193a1ef-0000-7000-8000-000000000001';
const ID = '0193a1f0-7b8c-7def-8123-456789abcdef';
const base: TaskFilters = { ownerId: OWNER };

const row: TaskRow = {
  id: ID,
  ownerId: OWNER,
  title: 't',
  description: null,
  status: 'todo',
  priority: 'high',
  dueAt: null,
  tags: [],
  version: 1,
  createdAt: new Date('2026-11-22T09:30:00.123Z'),
  updatedAt: new Date('2026-11-22T10:00:00.000Z'),
  completedAt: null,
  access: 'owner',
};

describe('buildListQuery', () => {
  const own: TaskFilters = { ...base, scope: 'own' };
  const shared: TaskFilters = { ...base, scope: 'shared' };

  it("returns each row under the entity's property names with the reader's access, so it is a TaskRow as it comes", () => {
    expect(TASK_COLUMNS).toBe(
      't.id, t.owner_id AS "ownerId", t.title, t.description, t.status, t.priority, t.due_at AS "dueAt", t.tags, t.version, ' +
        't.created_at AS "createdAt", t.updated_at AS "updatedAt", t.completed_at AS "completedAt"',
    );
    expect(buildListQuery(own, '-createdAt', 21).text.startsWith(`SELECT ${TASK_COLUMNS}, 'owner' AS access FROM tasks t`)).toBe(true);
    expect(buildListQuery(shared, '-createdAt', 21).text.startsWith(`SELECT ${TASK_COLUMNS}, share.role::text AS access`)).toBe(true);
    expect(buildListQuery(base, '-createdAt', 21).text).toMatch(
      /^SELECT "id", "ownerId", "title", "description", "status", "priority", "dueAt", "tags", "version", "createdAt", "updatedAt", "completedAt", access FROM \(/,
    );
  });

  it("orders the owner's first page by the sort key and id, owner-scoped, live rows only, fetching limit+1", () => {
    const { text, params } = buildListQuery(own, '-createdAt', 21);
    expect(text).toContain('WHERE t.owner_id = $1::uuid AND t.deleted_at IS NULL');
    expect(text).toMatch(/ORDER BY t\.created_at DESC, t\.id DESC LIMIT \$2::integer$/);
    expect(text).not.toContain('task_shares');
    expect(params).toEqual([OWNER, 21]);
  });

  it("walks the grantee's grants in the same order through the copies of the sort keys, joined to live tasks", () => {
    const { text, params } = buildListQuery(shared, '-createdAt', 21);
    expect(text).toContain('FROM task_shares share JOIN tasks t ON t.id = share.task_id');
    expect(text).toContain('WHERE share.grantee_id = $1::uuid AND t.deleted_at IS NULL');
    expect(text).toMatch(/ORDER BY share\.task_created_at DESC, share\.task_id DESC LIMIT \$2::integer$/);
    expect(text).not.toContain('t.owner_id =');
    expect(params).toEqual([OWNER, 21]);
  });

  it('merges both walks (each limited) into one page in the same order, by their sort keys', () => {
    const { text, params } = buildListQuery(base, 'priority', 21);
    expect(text).toContain('t.priority AS k0, t.created_at AS k1, t.id AS k2 FROM tasks t');
    expect(text).toContain('share.task_priority AS k0, share.task_created_at AS k1, share.task_id AS k2');
    expect(text).toContain(') UNION ALL (');
    expect(text).toMatch(/\) AS visible ORDER BY k0 ASC, k1 ASC, k2 ASC LIMIT \$2::integer$/);
    expect(text.match(/LIMIT \$2::integer/g)).toHaveLength(3);
    expect(params).toEqual([OWNER, 21]);
  });

  it('continues strictly after the cursor row, in the direction of the sort, in both walks', () => {
    const asc = buildListQuery(base, 'createdAt', 11, positionOf(row, 'createdAt'));
    expect(asc.text).toContain('(t.created_at, t.id) > ($3::timestamptz, $4::uuid)');
    expect(asc.text).toContain('(share.task_created_at, share.task_id) > ($3::timestamptz, $4::uuid)');
    expect(asc.params).toEqual([OWNER, 11, '2026-11-22T09:30:00.123Z', ID]);
    const desc = buildListQuery(own, '-updatedAt', 11, positionOf(row, '-updatedAt'));
    expect(desc.text).toContain('(t.updated_at, t.id) < ($3::timestamptz, $4::uuid)');
    expect(desc.params[2]).toBe('2026-11-22T10:00:00.000Z');
  });

  it('keeps undated tasks last in both due orders, through the expressions the indexes are built on', () => {
    const asc = buildListQuery(base, 'dueAt', 11, positionOf(row, 'dueAt'));
    expect(asc.text).toContain("(coalesce(t.due_at, 'infinity'::timestamptz), t.id) > (coalesce($3::timestamptz, 'infinity'::timestamptz), $4::uuid)");
    expect(asc.text).toContain(
      "(coalesce(share.task_due_at, 'infinity'::timestamptz), share.task_id) > (coalesce($3::timestamptz, 'infinity'::timestamptz), $4::uuid)",
    );
    expect(asc.text).toContain("ORDER BY coalesce(t.due_at, 'infinity'::timestamptz) ASC, t.id ASC");
    expect(asc.params[2]).toBeNull();
    const desc = buildListQuery(own, '-dueAt', 11);
    expect(desc.text).toContain("ORDER BY coalesce(t.due_at, '-infinity'::timestamptz) DESC, t.id DESC");
  });

  it('sorts by priority, then creation, then id', () => {
    const { text, params } = buildListQuery(own, '-priority', 11, positionOf(row, '-priority'));
    expect(text).toContain('(t.priority, t.created_at, t.id) < ($3::task_priority, $4::timestamptz, $5::uuid)');
    expect(text).toContain('ORDER BY t.priority DESC, t.created_at DESC, t.id DESC');
    expect(params.slice(2, 5)).toEqual(['high', '2026-11-22T09:30:00.123Z', ID]);
  });

  it('passes every filter as a parameter, never as SQL text, and applies it to both walks', () => {
    const nasty = "x'); DROP TABLE tasks; --";
    const { text, params } = buildListQuery(
      { ...base, status: 'done', priority: 'low', tag: nasty, q: nasty, dueAfter: '2026-01-01T00:00:00Z', dueBefore: '2026-02-01T00:00:00Z' },
      'createdAt',
      5,
    );
    expect(text).not.toContain('DROP');
    expect(text.match(/t\.status = \$3::task_status/g)).toHaveLength(2);
    expect(text.match(/t\.tags @> ARRAY\[\$4::text\]/g)).toHaveLength(2);
    expect(text.match(/t\.search @@ websearch_to_tsquery\('english'::regconfig, \$5::text\)/g)).toHaveLength(2);
    expect(text).toContain('t.priority = $6::task_priority');
    expect(text).toContain('share.task_priority = $6::task_priority');
    expect(params).toEqual([OWNER, 5, 'done', nasty, nasty, 'low', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z']);
  });

  it('writes due-date bounds over the expression of the index the sort uses, excluding undated tasks', () => {
    const asc = buildListQuery({ ...base, dueAfter: '2026-01-01T00:00:00Z' }, 'dueAt', 5).text;
    expect(asc).toContain("t.due_at IS NOT NULL AND coalesce(t.due_at, 'infinity'::timestamptz) >= $3::timestamptz");
    expect(asc).toContain("share.task_due_at IS NOT NULL AND coalesce(share.task_due_at, 'infinity'::timestamptz) >= $3::timestamptz");
    const desc = buildListQuery({ ...own, dueBefore: '2026-01-01T00:00:00Z' }, '-dueAt', 5).text;
    expect(desc).toContain("coalesce(t.due_at, '-infinity'::timestamptz) < $3::timestamptz");
    const other = buildListQuery({ ...own, dueAfter: '2026-01-01T00:00:00Z' }, '-createdAt', 5).text;
    expect(other).toContain("coalesce(t.due_at, '-infinity'::timestamptz) >= $3::timestamptz");
    const before = buildListQuery({ ...own, dueBefore: '2026-01-01T00:00:00Z' }, '-createdAt', 5).text;
    expect(before).toContain("coalesce(t.due_at, 'infinity'::timestamptz) < $3::timestamptz");
  });

  it("reports an admin's own access when they list another user's tasks: viewer unless a grant says more", () => {
    const { text, params } = buildListQuery(own, '-createdAt', 21, undefined, ID);
    expect(text).toContain(`coalesce(CASE WHEN t.owner_id = $3::uuid THEN 'owner' ELSE (SELECT share.role::text FROM task_shares share`);
    expect(text).toContain("'viewer') AS access");
    expect(params).toEqual([OWNER, 21, ID]);
  });
});

describe('buildUpdateQuery', () => {
  it('changes only a live task the user may update (owner or editor), and returns it with their access', () => {
    const { text, params } = buildUpdateQuery(OWNER, ID, { title: 'new' });
    expect(text).toContain('WHERE t.id = $1 AND t.deleted_at IS NULL AND (t.owner_id = $2::uuid OR EXISTS (SELECT 1 FROM task_shares share');
    expect(text).toContain("share.role IN ('editor'::task_share_role)");
    expect(text).toContain(`RETURNING ${TASK_COLUMNS}, CASE WHEN t.owner_id = $2::uuid THEN 'owner'`);
    expect(text).not.toContain('t.version =');
    expect(params).toEqual([ID, OWNER, 'new']);
  });

  it('sets only the fields sent, and checks the version and the access of an If-Match', () => {
    const { text, params } = buildUpdateQuery(OWNER, ID, { status: 'done', tags: ['a'], dueAt: null }, { version: 4, access: 'editor' });
    expect(text).toContain("status = $3::task_status, completed_at = CASE WHEN $3::task_status = 'done' THEN coalesce(completed_at, now()) END");
    expect(text).toContain('due_at = $4::timestamptz, tags = $5::text[]');
    expect(text).toContain("AND t.version = $6::integer AND (CASE WHEN t.owner_id = $2::uuid THEN 'owner' ELSE");
    expect(text).toContain('WHERE share.task_id = t.id AND share.grantee_id = $2::uuid) END) = $7::text');
    expect(text).not.toContain('title =');
    expect(params).toEqual([ID, OWNER, 'done', null, ['a'], 4, 'editor']);
  });
});

describe('positionOf', () => {
  it('takes the sort value of the row for each sort', () => {
    expect(positionOf(row, 'updatedAt')).toEqual({ sort: 'updatedAt', at: '2026-11-22T10:00:00.000Z', id: ID });
    expect(positionOf({ ...row, dueAt: new Date('2027-01-01T00:00:00Z') }, '-dueAt')).toEqual({
      sort: '-dueAt',
      dueAt: '2027-01-01T00:00:00.000Z',
      id: ID,
    });
  });
});
