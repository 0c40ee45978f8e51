import { buildListQuery, positionOf, TASK_COLUMNS, type TaskRow } from './tasks.repository';
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
};

describe('buildListQuery', () => {
  it("returns each row under the entity's property names, so it is a TaskRow as it comes", () => {
    expect(TASK_COLUMNS).toBe(
      'id, owner_id AS "ownerId", title, description, status, priority, due_at AS "dueAt", tags, version, ' +
        'created_at AS "createdAt", updated_at AS "updatedAt", completed_at AS "completedAt"',
    );
    expect(buildListQuery(base, '-createdAt', 21).text.startsWith(`SELECT ${TASK_COLUMNS} FROM tasks WHERE`)).toBe(true);
  });

  it('orders the first page by the sort key and id, owner-scoped, live rows only, fetching limit+1', () => {
    const { text, params } = buildListQuery(base, '-createdAt', 21);
    expect(text).toContain('WHERE owner_id = $1::uuid AND deleted_at IS NULL');
    expect(text).toMatch(/ORDER BY created_at DESC, id DESC LIMIT \$2::integer$/);
    expect(params).toEqual([OWNER, 21]);
  });

  it('continues strictly after the cursor row, in the direction of the sort', () => {
    const asc = buildListQuery(base, 'createdAt', 11, positionOf(row, 'createdAt'));
    expect(asc.text).toContain('(created_at, id) > ($2::timestamptz, $3::uuid)');
    expect(asc.params).toEqual([OWNER, '2026-11-22T09:30:00.123Z', ID, 11]);
    const desc = buildListQuery(base, '-updatedAt', 11, positionOf(row, '-updatedAt'));
    expect(desc.text).toContain('(updated_at, id) < ($2::timestamptz, $3::uuid)');
    expect(desc.params[1]).toBe('2026-11-22T10:00:00.000Z');
  });

  it('keeps undated tasks last in both due orders, through the expressions the indexes are built on', () => {
    const asc = buildListQuery(base, 'dueAt', 11, positionOf(row, 'dueAt'));
    expect(asc.text).toContain("(coalesce(due_at, 'infinity'::timestamptz), id) > (coalesce($2::timestamptz, 'infinity'::timestamptz), $3::uuid)");
    expect(asc.text).toContain("ORDER BY coalesce(due_at, 'infinity'::timestamptz) ASC, id ASC");
    expect(asc.params[1]).toBeNull();
    const desc = buildListQuery(base, '-dueAt', 11);
    expect(desc.text).toContain("ORDER BY coalesce(due_at, '-infinity'::timestamptz) DESC, id DESC");
  });

  it('sorts by priority, then creation, then id', () => {
    const { text, params } = buildListQuery(base, '-priority', 11, positionOf(row, '-priority'));
    expect(text).toContain('(priority, created_at, id) < ($2::task_priority, $3::timestamptz, $4::uuid)');
    expect(text).toContain('ORDER BY priority DESC, created_at DESC, id DESC');
    expect(params.slice(1, 4)).toEqual(['high', '2026-11-22T09:30:00.123Z', ID]);
  });

  it('passes every filter as a parameter, never as SQL text', () => {
    const nasty = "x'); DROP TABLE tasks; --";
    const { text, params } = buildListQuery(
      { ...base, status: 'done', priority: 'low', tag: nasty, q: nasty, dueAfter: '2026-01-01T00:00:00Z', dueBefore: '2026-02-01T00:00:00Z' },
      'createdAt',
      5,
    );
    expect(text).not.toContain('DROP');
    expect(text).toContain('status = $2::task_status');
    expect(text).toContain('priority = $3::task_priority');
    expect(text).toContain('tags @> ARRAY[$4::text]');
    expect(text).toContain("search @@ websearch_to_tsquery('english'::regconfig, $7::text)");
    expect(params).toEqual([OWNER, 'done', 'low', nasty, '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', nasty, 5]);
  });

  it('writes due-date bounds over the expression of the index the sort uses, excluding undated tasks', () => {
    const asc = buildListQuery({ ...base, dueAfter: '2026-01-01T00:00:00Z' }, 'dueAt', 5).text;
    expect(asc).toContain("due_at IS NOT NULL AND coalesce(due_at, 'infinity'::timestamptz) >= $2::timestamptz");
    const desc = buildListQuery({ ...base, dueBefore: '2026-01-01T00:00:00Z' }, '-dueAt', 5).text;
    expect(desc).toContain("coalesce(due_at, '-infinity'::timestamptz) < $2::timestamptz");
    const other = buildListQuery({ ...base, dueAfter: '2026-01-01T00:00:00Z' }, '-createdAt', 5).text;
    expect(other).toContain("coalesce(due_at, '-infinity'::timestamptz) >= $2::timestamptz");
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
