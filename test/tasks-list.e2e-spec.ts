import { registerUser, type RegisteredUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';
import type { components } from '../clients/typescript/schema';

/** GET /v1/tasks: filters, every sort, keyset pagination, cursor integrity. */

/** A task as the API returns it: the type generated from the OpenAPI document. */
type TaskJson = components['schemas']['TaskDto'];
interface PageJson {
  data: TaskJson[];
  nextCursor: string | null;
}

const RANK = { low: 0, medium: 1, high: 2 };
const SORTS = ['createdAt', '-createdAt', 'dueAt', '-dueAt', 'priority', '-priority', 'updatedAt', '-updatedAt'] as const;
type Sort = (typeof SORTS)[number];

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order the API promises, written independently of the SQL: ties broken by id, undated tasks last. */
function comparator(sort: Sort): (a: TaskJson, b: TaskJson) => number {
  const descending = sort.startsWith('-');
  const sign = descending ? -1 : 1;
  const field = sort.replace('-', '');
  return (a, b) => {
    if (field === 'dueAt') {
      if (a.dueAt === null && b.dueAt !== null) return 1;
      if (b.dueAt === null && a.dueAt !== null) return -1;
      const byDue = a.dueAt !== null && b.dueAt !== null ? compareStrings(a.dueAt, b.dueAt) : 0;
      return sign * (byDue || compareStrings(a.id, b.id));
    }
    if (field === 'priority') {
      return sign * (RANK[a.priority] - RANK[b.priority] || compareStrings(a.createdAt, b.createdAt) || compareStrings(a.id, b.id));
    }
    const key = field as 'createdAt' | 'updatedAt';
    return sign * (compareStrings(a[key], b[key]) || compareStrings(a.id, b.id));
  };
}

describe('tasks listing (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '100000' });
  let user: RegisteredUser;
  let all: TaskJson[];

  async function page(query: string, token = user.accessToken): Promise<PageJson> {
    const response = await t.api.get<PageJson>(`/v1/tasks?${query}`, { token });
    if (response.status !== 200) throw new Error(`GET /v1/tasks?${query} answered ${response.status}: ${response.text}`);
    return response.body;
  }

  /** Follows nextCursor to the end and returns every task in the order received. */
  async function walk(query: string, limit: number, token = user.accessToken): Promise<TaskJson[]> {
    const seen: TaskJson[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 1000; pages += 1) {
      const current: PageJson = await page(`${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
      expect(current.data.length).toBeLessThanOrEqual(limit);
      seen.push(...current.data);
      cursor = current.nextCursor;
      if (cursor === null) return seen;
      expect(current.data).toHaveLength(limit);
    }
    throw new Error('the walk did not end');
  }

  beforeAll(async () => {
    user = await registerUser(t.api);
    const titles = [
      'Prepare quarterly reports',
      'Report the login bug',
      'Buy groceries',
      'Call the plumber',
      'Renew passport',
      'Book flights to Lisbon',
      'Write the annual review',
      'Fix the garden fence',
    ];
    const bodies = Array.from({ length: 40 }, (_, i) => ({
      title: `${titles[i % titles.length]} #${i}`,
      description: i % 5 === 0 ? 'Attach the invoice' : null,
      status: (['todo', 'in_progress', 'done'] as const)[i % 3],
      priority: (['low', 'medium', 'high'] as const)[i % 3 === 0 ? 2 : i % 2],
      // Some share a due date (ties), some have none.
      dueAt: i % 4 === 0 ? null : `2027-01-${String((i % 9) + 1).padStart(2, '0')}T09:00:00Z`,
      tags: i % 2 === 0 ? ['work'] : i % 3 === 0 ? ['home', 'weekend'] : [],
    }));
    for (const body of bodies) {
      const response = await t.api.post('/v1/tasks', body, { token: user.accessToken });
      expect(response.status).toBe(201);
    }
    // Touch a few so updatedAt order differs from creation order.
    const created = (await page('limit=100&sort=createdAt')).data;
    for (const task of [created[3], created[17], created[0]]) {
      if (task) await t.api.patch(`/v1/tasks/${task.id}`, { tags: ['touched'] }, { token: user.accessToken });
    }
    all = (await page('limit=100')).data;
    expect(all).toHaveLength(40);
  });

  it.each(SORTS)('sort=%s returns every task in the documented order, page by page, without gaps or duplicates', async (sort) => {
    const expected = [...all].sort(comparator(sort)).map((task) => task.id);
    expect((await page(`sort=${sort}&limit=100`)).data.map((task) => task.id)).toEqual(expected);
    expect((await walk(`sort=${sort}`, 7)).map((task) => task.id)).toEqual(expected);
    expect((await walk(`sort=${sort}`, 1)).map((task) => task.id)).toEqual(expected);
  });

  it('defaults to newest first, 20 per page', async () => {
    const first = await page('');
    expect(first.data.map((task) => task.id)).toEqual(
      [...all]
        .sort(comparator('-createdAt'))
        .slice(0, 20)
        .map((task) => task.id),
    );
    expect(first.nextCursor).toEqual(expect.any(String));
  });

  it.each([
    ['status=done', (task: TaskJson) => task.status === 'done'],
    ['priority=high', (task: TaskJson) => task.priority === 'high'],
    ['tag=work', (task: TaskJson) => task.tags.includes('work')],
    ['tag=weekend&status=todo', (task: TaskJson) => task.tags.includes('weekend') && task.status === 'todo'],
    [
      'dueAfter=2027-01-03T09:00:00Z&dueBefore=2027-01-06T09:00:00Z',
      (task: TaskJson) => task.dueAt !== null && task.dueAt >= '2027-01-03T09:00:00.000Z' && task.dueAt < '2027-01-06T09:00:00.000Z',
    ],
    ['dueBefore=2027-01-03T09:00:00.000%2B00:00', (task: TaskJson) => task.dueAt !== null && task.dueAt < '2027-01-03T09:00:00.000Z'],
    ['dueAfter=2027-01-08T10:00:00%2B01:00', (task: TaskJson) => task.dueAt !== null && task.dueAt >= '2027-01-08T09:00:00.000Z'],
  ])('filters %s, with every sort and across pages', async (filter, predicate) => {
    const matching = all.filter(predicate);
    expect(matching.length).toBeGreaterThan(0);
    expect(matching.length).toBeLessThan(all.length);
    for (const sort of ['-createdAt', 'dueAt', '-dueAt', 'priority'] as const) {
      const expected = [...matching].sort(comparator(sort)).map((task) => task.id);
      expect((await walk(`${filter}&sort=${sort}`, 3)).map((task) => task.id)).toEqual(expected);
    }
  });

  it('includes the dueAfter bound and excludes the dueBefore bound', async () => {
    const exact = await page('dueAfter=2027-01-02T09:00:00Z&dueBefore=2027-01-02T09:00:00.001Z&limit=100');
    expect(exact.data.length).toBeGreaterThan(0);
    expect(exact.data.every((task) => task.dueAt === '2027-01-02T09:00:00.000Z')).toBe(true);
    expect((await page('dueAfter=2027-01-02T09:00:00Z&dueBefore=2027-01-02T09:00:00Z')).data).toEqual([]);
  });

  it('searches title and description with stemming and web-search syntax', async () => {
    const ids = async (q: string) => (await page(`q=${encodeURIComponent(q)}&limit=100`)).data.map((task) => task.title).sort();
    const reports = await ids('report');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.every((title) => /report/i.test(title))).toBe(true);
    expect(reports.some((title) => title.startsWith('Prepare quarterly reports'))).toBe(true);
    expect(reports.some((title) => title.startsWith('Report the login bug'))).toBe(true);
    expect((await ids('report -bug')).every((title) => title.startsWith('Prepare quarterly reports'))).toBe(true);
    expect((await ids('"quarterly reports"')).length).toBe(reports.length / 2);
    const invoices = await page('q=invoice&limit=100');
    expect(invoices.data.length).toBe(all.filter((task) => task.description === 'Attach the invoice').length);
    expect((await ids('groceries or plumber')).every((title) => /groceries|plumber/i.test(title))).toBe(true);
    expect((await page('q=the')).data).toEqual([]);
    expect((await page('q=nonexistentword')).data).toEqual([]);
    // Search combines with sorting and paging like any filter.
    const expected = all
      .filter((task) => /report/i.test(task.title))
      .sort(comparator('dueAt'))
      .map((task) => task.id);
    expect((await walk('q=report&sort=dueAt', 2)).map((task) => task.id)).toEqual(expected);
  });

  describe('cursor integrity', () => {
    let cursor: string;
    beforeAll(async () => {
      cursor = (await page('sort=dueAt&status=todo&limit=2')).nextCursor ?? '';
      expect(cursor).not.toBe('');
    });

    async function expectInvalid(query: string, token = user.accessToken): Promise<void> {
      const response = await t.api.get(`/v1/tasks?${query}`, { token });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.type).toBe('https://taskwright.dev/problems/invalid-cursor');
    }

    it('rejects malformed cursors', async () => {
      for (const bad of ['abc', 'abc.def', `${cursor}x`, cursor.replace('.', '')]) {
        await expectInvalid(`sort=dueAt&status=todo&cursor=${encodeURIComponent(bad)}`);
      }
    });

    it('rejects a tampered cursor', async () => {
      const [payload, mac] = cursor.split('.') as [string, string];
      const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      decoded.k = ['2000-01-01T00:00:00.000Z'];
      const forged = `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${mac}`;
      await expectInvalid(`sort=dueAt&status=todo&cursor=${encodeURIComponent(forged)}`);
    });

    it('rejects a cursor used with another sort, other filters or by another user', async () => {
      await expectInvalid(`sort=-dueAt&status=todo&cursor=${encodeURIComponent(cursor)}`);
      await expectInvalid(`sort=dueAt&cursor=${encodeURIComponent(cursor)}`);
      await expectInvalid(`sort=dueAt&status=done&cursor=${encodeURIComponent(cursor)}`);
      await expectInvalid(`sort=dueAt&status=todo&q=report&cursor=${encodeURIComponent(cursor)}`);
      const other = await registerUser(t.api);
      await expectInvalid(`sort=dueAt&status=todo&cursor=${encodeURIComponent(cursor)}`, other.accessToken);
    });

    it('accepts the same cursor with another page size', async () => {
      const next = await page(`sort=dueAt&status=todo&limit=5&cursor=${encodeURIComponent(cursor)}`);
      expect(next.data.length).toBe(5);
    });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['sort=title', 'sort'],
    ['status=open', 'status'],
    ['priority=urgent', 'priority'],
    ['dueBefore=soon', 'dueBefore'],
    ['ownerId=not-a-uuid', 'ownerId'],
    ['page=2', 'page'],
    ['dueBefore=0000-01-01T00:00:00Z', 'dueBefore'],
    ['q=a%00b', 'q'],
    ['tag=a%00b', 'tag'],
  ])('rejects %s with a 400 naming the field', async (query, field) => {
    const response = await t.api.get(`/v1/tasks?${query}`, { token: user.accessToken });
    expect(response.status).toBe(400);
    expect((response.body.errors as Array<{ field: string }>).map((e) => e.field)).toContain(field);
  });

  it.each(['-createdAt', 'createdAt'] as const)('walks sort=%s without duplicates or gaps while tasks are being added', async (sort) => {
    const walker = await registerUser(t.api);
    const initial: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      const response = await t.api.post<TaskJson>('/v1/tasks', { title: `initial ${i}` }, { token: walker.accessToken });
      initial.push(response.body.id);
    }
    let inserting = true;
    const inserter = (async () => {
      let i = 0;
      while (inserting) {
        await Promise.all([0, 1, 2].map(() => t.api.post('/v1/tasks', { title: `concurrent ${(i += 1)}` }, { token: walker.accessToken })));
      }
      return i;
    })();
    const seen: TaskJson[] = [];
    let cursor: string | null = null;
    do {
      const current: PageJson = await page(`sort=${sort}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, walker.accessToken);
      seen.push(...current.data);
      cursor = current.nextCursor;
      // Give the inserter room to commit between pages.
      await new Promise((resolve) => setTimeout(resolve, 5));
    } while (cursor !== null && seen.length < 2000);
    inserting = false;
    const inserted = await inserter;
    expect(inserted).toBeGreaterThan(0);

    const ids = seen.map((task) => task.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(initial));
    expect(ids.filter((id) => initial.includes(id))).toEqual(sort === '-createdAt' ? [...initial].reverse() : initial);
    expect([...seen].sort(comparator(sort)).map((task) => task.id)).toEqual(ids);
  });
});
