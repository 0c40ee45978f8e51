import { registerUser } from './helpers/auth';
import type { TestApp } from './helpers/test-app';
import { useTestApp } from './helpers/test-app';
import type { components } from '../clients/typescript/schema';

type Task = components['schemas']['TaskDto'];

interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
}

async function account(t: TestApp, label = 'user'): Promise<Account> {
  const registered = await registerUser(t.api, { name: label });
  return { id: registered.user.id, email: registered.email, password: registered.password, token: registered.accessToken };
}

async function createTask(t: TestApp, owner: Account, body: Record<string, unknown>): Promise<Task> {
  const response = await t.api.post('/v1/tasks', body, { token: owner.token });
  expect(response.status).toBe(201);
  return response.body as Task;
}

async function share(t: TestApp, owner: Account, taskId: string, grantee: Account, role: 'viewer' | 'editor', expected = 201) {
  const response = await t.api.put(`/v1/tasks/${taskId}/shares`, { email: grantee.email, role }, { token: owner.token });
  expect(response.status).toBe(expected);
  return response;
}

async function ids(t: TestApp, who: Account, query = ''): Promise<string[]> {
  const response = await t.api.get(`/v1/tasks${query}`, { token: who.token });
  expect(response.status).toBe(200);
  return (response.body.data as Task[]).map((task) => task.id);
}

/** Every change of the user's feed from the start, drained page by page. */
async function feed(t: TestApp, who: Account, since = ''): Promise<{ changes: Array<Task | { id: string; deleted: true; deletedAt: string }>; next: string }> {
  const changes = [];
  let token = since;
  for (;;) {
    const response = await t.api.get(`/v1/tasks/changes?since=${encodeURIComponent(token)}`, { token: who.token });
    expect(response.status).toBe(200);
    token = response.body.next;
    if (response.body.changes.length === 0) return { changes, next: token };
    changes.push(...response.body.changes);
  }
}

describe('sharing (e2e)', () => {
  const t = useTestApp({ RATE_LIMIT_MAX: '100000', AUTH_REGISTER_IP_MAX: '10000' });

  it('lets the owner share as viewer, then as editor, and the grantee read and then edit, with their access on every read', async () => {
    const [ada, grace] = [await account(t, 'Ada'), await account(t, 'Grace')];
    const task = await createTask(t, ada, { title: 'Quarterly report', tags: ['finance'] });
    expect(task.access).toBe('owner');

    // Before the grant Grace cannot see it at all.
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: grace.token })).status).toBe(404);
    expect(await ids(t, grace)).toEqual([]);

    const granted = await share(t, ada, task.id, grace, 'viewer');
    expect(granted.headers.get('location')).toBe(`/v1/tasks/${task.id}/shares/${grace.id}`);
    expect(granted.body).toEqual({ user: { id: grace.id, name: 'Grace', email: grace.email }, role: 'viewer', createdAt: expect.any(String) });
    expect((await t.api.get(granted.headers.get('location') ?? '', { token: ada.token })).body).toEqual(granted.body);

    const read = await t.api.get(`/v1/tasks/${task.id}`, { token: grace.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ ...task, access: 'viewer' });
    expect(read.headers.get('etag')).toBe(`"${task.id}.1.viewer"`);
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: grace.token, headers: { 'if-none-match': `"${task.id}.1.viewer"` } })).status).toBe(304);
    const list = await t.api.get('/v1/tasks', { token: grace.token });
    expect(list.body.data).toEqual([{ ...task, access: 'viewer' }]);
    expect(await ids(t, grace, '?scope=shared')).toEqual([task.id]);
    expect(await ids(t, grace, '?scope=own')).toEqual([]);
    expect(await ids(t, ada, '?scope=shared')).toEqual([]);
    expect(await ids(t, ada, '?scope=own')).toEqual([task.id]);

    // A viewer may not change or delete it, nor manage its shares; nothing changes.
    const patch = await t.api.patch(`/v1/tasks/${task.id}`, { title: 'Mine now' }, { token: grace.token });
    expect(patch.status).toBe(403);
    expect(patch.body).toMatchObject({ type: 'https://taskwright.dev/problems/forbidden', status: 403 });
    expect((await t.api.delete(`/v1/tasks/${task.id}`, { token: grace.token })).status).toBe(403);
    expect((await t.api.get(`/v1/tasks/${task.id}/shares`, { token: grace.token })).status).toBe(403);
    expect((await t.api.put(`/v1/tasks/${task.id}/shares`, { email: ada.email, role: 'editor' }, { token: grace.token })).status).toBe(403);
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: ada.token })).body).toEqual(task);

    // Editor: a change of role is 200, and the grantee's ETag changes with it (their representation did).
    const promoted = await share(t, ada, task.id, grace, 'editor', 200);
    expect(promoted.body).toEqual({ ...granted.body, role: 'editor' });
    expect(promoted.headers.get('location')).toBeNull();
    const asEditor = await t.api.get(`/v1/tasks/${task.id}`, { token: grace.token, headers: { 'if-none-match': `"${task.id}.1.viewer"` } });
    expect(asEditor.status).toBe(200);
    expect(asEditor.body.access).toBe('editor');
    const edited = await t.api.patch(
      `/v1/tasks/${task.id}`,
      { title: 'Quarterly report, final' },
      { token: grace.token, headers: { 'if-match': asEditor.headers.get('etag') ?? '' } },
    );
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ title: 'Quarterly report, final', version: 2, access: 'editor', ownerId: ada.id });
    expect(edited.headers.get('etag')).toBe(`"${task.id}.2.editor"`);
    // The owner sees the editor's change at once (their cached read was invalidated), with the owner's ETag.
    const ownerRead = await t.api.get(`/v1/tasks/${task.id}`, { token: ada.token });
    expect(ownerRead.body).toMatchObject({ title: 'Quarterly report, final', version: 2, access: 'owner' });
    expect(ownerRead.headers.get('etag')).toBe(`"${task.id}.2"`);
    // An editor still may not delete the task or see its shares.
    expect((await t.api.delete(`/v1/tasks/${task.id}`, { token: grace.token })).status).toBe(403);
    expect((await t.api.get(`/v1/tasks/${task.id}/shares`, { token: grace.token })).status).toBe(403);

    const shares = await t.api.get(`/v1/tasks/${task.id}/shares`, { token: ada.token });
    expect(shares.body).toEqual({ data: [{ ...granted.body, role: 'editor' }] });
  });

  it('answers 404 to someone the task is not shared with, for every route of it', async () => {
    const [ada, eve] = [await account(t), await account(t)];
    const task = await createTask(t, ada, { title: 'Private' });
    for (const [method, path, body] of [
      ['GET', `/v1/tasks/${task.id}/shares`, undefined],
      ['PUT', `/v1/tasks/${task.id}/shares`, { email: eve.email, role: 'viewer' }],
      ['GET', `/v1/tasks/${task.id}/shares/${eve.id}`, undefined],
      ['DELETE', `/v1/tasks/${task.id}/shares/${eve.id}`, undefined],
      ['PATCH', `/v1/tasks/${task.id}`, { title: 'x' }],
      ['DELETE', `/v1/tasks/${task.id}`, undefined],
    ] as const) {
      const response = await t.api.request(method, path, { token: eve.token, body });
      expect({ method, path, status: response.status, type: response.body.type }).toEqual({
        method,
        path,
        status: 404,
        type: 'https://taskwright.dev/problems/not-found',
      });
    }
    expect((await t.api.get(`/v1/tasks/${task.id}/shares`, { token: ada.token })).body).toEqual({ data: [] });
  });

  it('refuses bad grants with a problem and changes nothing', async () => {
    const [ada, grace, dis] = [await account(t), await account(t), await account(t)];
    const task = await createTask(t, ada, { title: 'Shared once' });
    await share(t, ada, task.id, grace, 'viewer');
    await t.sql(`UPDATE users SET disabled = true WHERE id = $1`, [dis.id]);

    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ email: ada.email, role: 'viewer' }, 400, 'cannot-share-with-self'],
      [{ email: ada.email.toUpperCase(), role: 'editor' }, 400, 'cannot-share-with-self'],
      [{ email: 'nobody-here@example.com', role: 'viewer' }, 404, 'user-not-found'],
      [{ email: dis.email, role: 'viewer' }, 409, 'account-disabled'],
      [{ email: grace.email, role: 'viewer' }, 409, 'already-shared'],
      [{ email: ` ${grace.email.toUpperCase()} `, role: 'viewer' }, 409, 'already-shared'],
      [{ email: 'not an email', role: 'viewer' }, 400, 'validation-failed'],
      [{ email: grace.email, role: 'owner' }, 400, 'validation-failed'],
      [{ email: grace.email }, 400, 'validation-failed'],
      [{ email: grace.email, role: 'viewer', extra: 1 }, 400, 'validation-failed'],
    ];
    for (const [body, status, type] of cases) {
      const response = await t.api.put(`/v1/tasks/${task.id}/shares`, body, { token: ada.token });
      expect({ body, status: response.status, type: response.body.type }).toEqual({ body, status, type: `https://taskwright.dev/problems/${type}` });
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const shares = await t.api.get(`/v1/tasks/${task.id}/shares`, { token: ada.token });
    expect(shares.body.data.map((s: { user: { id: string }; role: string }) => [s.user.id, s.role])).toEqual([[grace.id, 'viewer']]);
    expect(await t.sql(`SELECT 1 FROM task_shares WHERE grantee_id = $1`, [dis.id])).toEqual([]);

    // Malformed ids are the route's 404.
    expect((await t.api.get(`/v1/tasks/not-a-uuid/shares`, { token: ada.token })).status).toBe(404);
    expect((await t.api.delete(`/v1/tasks/${task.id}/shares/not-a-uuid`, { token: ada.token })).body.type).toBe(
      'https://taskwright.dev/problems/share-not-found',
    );
  });

  it('stops at 100 grants per task', async () => {
    const ada = await account(t);
    const task = await createTask(t, ada, { title: 'Popular' });
    // 100 accounts straight in the database (registering them over HTTP would only be slower).
    const grantees = await t.sql<{ id: string }>(
      `INSERT INTO users (id, email, email_canonical, name, password_hash)
       SELECT gen_random_uuid(), e, e, 'Bulk', 'x' FROM (SELECT 'bulk-' || gen_random_uuid() || '@example.com' AS e FROM generate_series(1, 100)) emails
       RETURNING id`,
    );
    await t.sql(
      `INSERT INTO task_shares (task_id, grantee_id, owner_id, role, task_created_at, task_updated_at, task_priority, task_due_at)
       SELECT t.id, g, t.owner_id, 'viewer', t.created_at, t.updated_at, t.priority, t.due_at FROM tasks t, unnest($2::uuid[]) g WHERE t.id = $1`,
      [task.id, grantees.map((g) => g.id)],
    );
    const extra = await account(t);
    const refused = await t.api.put(`/v1/tasks/${task.id}/shares`, { email: extra.email, role: 'viewer' }, { token: ada.token });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('https://taskwright.dev/problems/share-limit-reached');
    expect((await t.api.get(`/v1/tasks/${task.id}/shares`, { token: ada.token })).body.data).toHaveLength(100);
    // A change of role of an existing grant is still allowed at the limit.
    const [first] = (await t.api.get(`/v1/tasks/${task.id}/shares`, { token: ada.token })).body.data;
    expect((await t.api.put(`/v1/tasks/${task.id}/shares`, { email: first.user.email, role: 'editor' }, { token: ada.token })).status).toBe(200);
    // And after a revocation there is room again.
    expect((await t.api.delete(`/v1/tasks/${task.id}/shares/${first.user.id}`, { token: ada.token })).status).toBe(204);
    expect((await t.api.put(`/v1/tasks/${task.id}/shares`, { email: extra.email, role: 'viewer' }, { token: ada.token })).status).toBe(201);
  });

  it('ends access by revocation or by leaving, at once, and a grantee cannot remove anyone else', async () => {
    const [ada, grace, linus] = [await account(t), await account(t), await account(t)];
    const task = await createTask(t, ada, { title: 'Team task' });
    await share(t, ada, task.id, grace, 'editor');
    await share(t, ada, task.id, linus, 'viewer');
    // Both read it (and have it cached).
    expect(await ids(t, grace)).toEqual([task.id]);
    expect(await ids(t, linus)).toEqual([task.id]);
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: linus.token })).status).toBe(200);

    // An editor cannot revoke another grantee; the owner cannot "leave" their own task.
    const refused = await t.api.delete(`/v1/tasks/${task.id}/shares/${linus.id}`, { token: grace.token });
    expect(refused.status).toBe(403);
    expect((await t.api.delete(`/v1/tasks/${task.id}/shares/${ada.id}`, { token: ada.token })).status).toBe(403);

    // Revoked: gone from every read at once, cached or not.
    expect((await t.api.delete(`/v1/tasks/${task.id}/shares/${linus.id}`, { token: ada.token })).status).toBe(204);
    expect(await ids(t, linus)).toEqual([]);
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: linus.token })).status).toBe(404);
    expect((await t.api.patch(`/v1/tasks/${task.id}`, { title: 'x' }, { token: linus.token })).status).toBe(404);
    // Revoking again: the grant is gone.
    const again = await t.api.delete(`/v1/tasks/${task.id}/shares/${linus.id}`, { token: ada.token });
    expect(again.status).toBe(404);
    expect(again.body.type).toBe('https://taskwright.dev/problems/share-not-found');

    // Leaving.
    expect((await t.api.delete(`/v1/tasks/${task.id}/shares/${grace.id}`, { token: grace.token })).status).toBe(204);
    expect(await ids(t, grace)).toEqual([]);
    expect((await t.api.get(`/v1/tasks/${task.id}/shares`, { token: ada.token })).body).toEqual({ data: [] });
    // The owner's task is untouched.
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: ada.token })).body).toEqual(task);
  });

  it("carries shared tasks in the grantee's change feed, and a tombstone when access ends in each way", async () => {
    const [ada, grace] = [await account(t), await account(t)];
    const revoked = await createTask(t, ada, { title: 'revoked' });
    const left = await createTask(t, ada, { title: 'left' });
    const deleted = await createTask(t, ada, { title: 'deleted' });
    const start = await feed(t, grace);
    expect(start.changes).toEqual([]);

    for (const task of [revoked, left, deleted]) await share(t, ada, task.id, grace, 'viewer');
    const granted = await feed(t, grace, start.next);
    expect(granted.changes).toEqual([revoked, left, deleted].map((task) => ({ ...task, access: 'viewer' })));

    // A change by the owner reaches the grantee; a change of role too.
    const patched = await t.api.patch(`/v1/tasks/${revoked.id}`, { status: 'done' }, { token: ada.token });
    await share(t, ada, left.id, grace, 'editor', 200);
    const changed = await feed(t, grace, granted.next);
    expect(changed.changes).toEqual([
      { ...patched.body, access: 'viewer' },
      { ...left, access: 'editor' },
    ]);

    await t.api.delete(`/v1/tasks/${revoked.id}/shares/${grace.id}`, { token: ada.token });
    await t.api.delete(`/v1/tasks/${left.id}/shares/${grace.id}`, { token: grace.token });
    await t.api.delete(`/v1/tasks/${deleted.id}`, { token: ada.token });
    const ended = await feed(t, grace, changed.next);
    expect(ended.changes).toEqual([revoked, left, deleted].map((task) => ({ id: task.id, deleted: true, deletedAt: expect.any(String) })));

    // Shared again: the task comes back, with its current state.
    await share(t, ada, revoked.id, grace, 'viewer');
    const back = await feed(t, grace, ended.next);
    expect(back.changes).toEqual([{ ...patched.body, access: 'viewer' }]);
    // A client starting from scratch sees each task once, in its latest state.
    const fresh = await feed(t, grace);
    expect(fresh.changes).toEqual([
      { id: left.id, deleted: true, deletedAt: expect.any(String) },
      { id: deleted.id, deleted: true, deletedAt: expect.any(String) },
      { ...patched.body, access: 'viewer' },
    ]);
    // The owner's feed never mentions the grants.
    const owner = await feed(t, ada);
    expect(owner.changes.map((change) => change.id)).toEqual([left.id, revoked.id, deleted.id]);
  });

  it("ends the grantees' access when the owner's account is deleted, and removes a deleted grantee's grants", async () => {
    const [ada, grace, linus] = [await account(t), await account(t), await account(t)];
    const task = await createTask(t, ada, { title: 'Soon orphaned' });
    const other = await createTask(t, linus, { title: "Linus's" });
    await share(t, ada, task.id, grace, 'editor');
    await share(t, linus, other.id, grace, 'viewer');
    await share(t, linus, other.id, ada, 'viewer');
    const before = await feed(t, grace);
    expect(await ids(t, grace)).toEqual([other.id, task.id]);

    expect((await t.api.delete('/v1/users/me', { token: ada.token })).status).toBe(204);
    // Grace's cached list no longer shows it, and her feed says it is gone.
    expect(await ids(t, grace)).toEqual([other.id]);
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: grace.token })).status).toBe(404);
    expect((await feed(t, grace, before.next)).changes).toEqual([{ id: task.id, deleted: true, deletedAt: expect.any(String) }]);
    // Ada's own grant on Linus's task went with her account.
    expect((await t.api.get(`/v1/tasks/${other.id}/shares`, { token: linus.token })).body.data.map((s: { user: { id: string } }) => s.user.id)).toEqual([
      grace.id,
    ]);
    expect(await t.sql(`SELECT 1 FROM task_access_ends WHERE grantee_id = $1`, [ada.id])).toEqual([]);
  });

  it('lets exactly one of concurrent edits by the owner and an editor win with the same If-Match', async () => {
    const [ada, grace] = [await account(t), await account(t)];
    for (let round = 0; round < 10; round++) {
      const task = await createTask(t, ada, { title: `race ${round}` });
      await share(t, ada, task.id, grace, 'editor');
      const results = await Promise.all([
        t.api.patch(`/v1/tasks/${task.id}`, { title: 'owner' }, { token: ada.token, headers: { 'if-match': `"${task.id}.1"` } }),
        t.api.patch(`/v1/tasks/${task.id}`, { title: 'editor' }, { token: grace.token, headers: { 'if-match': `"${task.id}.1.editor"` } }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
      const winner = results.find((r) => r.status === 200);
      const current = await t.api.get(`/v1/tasks/${task.id}`, { token: grace.token });
      expect(current.body).toMatchObject({ title: winner?.body.title, version: 2 });
    }
  });

  it('lists own and shared tasks as one keyset-paginated list in every sort, with filters and search', async () => {
    const [ada, grace, linus] = [await account(t), await account(t), await account(t)];
    const created: Task[] = [];
    const priorities = ['low', 'medium', 'high'] as const;
    for (let i = 0; i < 14; i++) {
      const owner = i % 3 === 0 ? ada : i % 3 === 1 ? grace : linus;
      const task = await createTask(t, owner, {
        title: i % 4 === 0 ? `zebra crossing ${i}` : `task ${i}`,
        priority: priorities[i % 3],
        status: i % 2 === 0 ? 'todo' : 'done',
        dueAt: i % 5 === 0 ? undefined : new Date(Date.UTC(2027, 0, 1 + ((i * 7) % 13))).toISOString(),
        tags: i % 2 === 0 ? ['even'] : ['odd'],
      });
      if (owner !== ada) await share(t, owner, task.id, ada, i % 2 === 0 ? 'viewer' : 'editor');
      created.push(task);
    }
    // A task of Grace's not shared with Ada never shows.
    await createTask(t, grace, { title: 'zebra not shared' });
    const visible = created.map((task) => task.id);

    for (const sort of ['-createdAt', 'createdAt', 'updatedAt', '-updatedAt', 'dueAt', '-dueAt', 'priority', '-priority']) {
      for (const [query, expected] of [
        ['', visible],
        ['&status=todo', created.filter((task) => task.status === 'todo').map((task) => task.id)],
        ['&tag=odd', created.filter((task) => task.tags.includes('odd')).map((task) => task.id)],
        ['&q=zebra', created.filter((task) => task.title.startsWith('zebra')).map((task) => task.id)],
        ['&priority=high', created.filter((task) => task.priority === 'high').map((task) => task.id)],
        ['&dueAfter=2027-01-05T00:00:00Z', created.filter((task) => task.dueAt !== null && task.dueAt >= '2027-01-05').map((task) => task.id)],
        ['&scope=shared', created.filter((task) => task.ownerId !== ada.id).map((task) => task.id)],
        ['&scope=own&tag=even', created.filter((task) => task.ownerId === ada.id && task.tags.includes('even')).map((task) => task.id)],
      ] as const) {
        const seen: Task[] = [];
        let cursor: string | null = null;
        do {
          const response: { status: number; body: { data: Task[]; nextCursor: string | null } } = await t.api.get(
            `/v1/tasks?sort=${sort}&limit=3${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
            { token: ada.token },
          );
          expect(response.status).toBe(200);
          seen.push(...response.body.data);
          cursor = response.body.nextCursor;
        } while (cursor !== null);
        expect({ sort, query, ids: seen.map((task) => task.id).sort() }).toEqual({ sort, query, ids: [...expected].sort() });
        // In order: the same order one sort of all of them gives.
        const key = (task: Task): Array<string | number> => {
          const field = sort.replace('-', '');
          const dueInfinity = sort.startsWith('-') ? '0000' : '9999';
          if (field === 'dueAt') return [task.dueAt ?? dueInfinity, task.id];
          if (field === 'priority') return [priorities.indexOf(task.priority), task.createdAt, task.id];
          return [task[field as 'createdAt' | 'updatedAt'], task.id];
        };
        const ordered = [...seen].sort((a, b) => {
          const [ka, kb] = [key(a), key(b)];
          for (let i = 0; i < ka.length; i++) {
            const ai = ka[i] as string | number;
            const bi = kb[i] as string | number;
            if (ai !== bi) return (ai < bi ? -1 : 1) * (sort.startsWith('-') ? -1 : 1);
          }
          return 0;
        });
        expect(seen.map((task) => task.id)).toEqual(ordered.map((task) => task.id));
        for (const task of seen) expect(task.access).toBe(task.ownerId === ada.id ? 'owner' : task.tags.includes('even') ? 'viewer' : 'editor');
      }
    }
    // A cursor of one scope is refused in another.
    const first = await t.api.get('/v1/tasks?limit=2&scope=shared', { token: ada.token });
    const mixed = await t.api.get(`/v1/tasks?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { token: ada.token });
    expect(mixed.status).toBe(400);
    expect(mixed.body.type).toBe('https://taskwright.dev/problems/invalid-cursor');
    expect((await t.api.get('/v1/tasks?scope=everything', { token: ada.token })).status).toBe(400);
  });

  it('keeps the admin ownerId view: that user’s own tasks, read as a viewer, and refuses scope=shared with it', async () => {
    const [ada, grace] = [await account(t), await account(t)];
    await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [grace.id]);
    const relogin = await t.api.post('/v1/auth/login', { email: grace.email, password: grace.password });
    expect(relogin.status).toBe(200);
    const admin = { ...grace, token: relogin.body.accessToken as string };
    const mine = await createTask(t, ada, { title: 'Ada own' });
    const sharedWithAdmin = await createTask(t, ada, { title: 'Shared with the admin' });
    await share(t, ada, sharedWithAdmin.id, grace, 'editor');
    const response = await t.api.get(`/v1/tasks?ownerId=${ada.id}`, { token: admin.token });
    expect(response.status).toBe(200);
    expect(response.body.data.map((task: Task) => [task.id, task.access])).toEqual([
      [sharedWithAdmin.id, 'editor'],
      [mine.id, 'viewer'],
    ]);
    expect((await t.api.get(`/v1/tasks?ownerId=${ada.id}&scope=shared`, { token: admin.token })).status).toBe(400);
    expect((await t.api.get(`/v1/tasks?ownerId=${ada.id}&scope=own`, { token: admin.token })).status).toBe(200);
  });

  it('counts grants and their ends in the metrics', async () => {
    const [ada, grace] = [await account(t), await account(t)];
    const metric = async (event: string): Promise<number> => {
      const text = (await t.api.request('GET', '/metrics', { skipOpenApiCheck: false })).text;
      const match = new RegExp(`^task_share_events_total\\{event="${event}"\\} (\\d+)$`, 'm').exec(text);
      return Number(match?.[1]);
    };
    const before = Object.fromEntries(await Promise.all(['granted', 'role_changed', 'revoked', 'left', 'task_deleted'].map(async (e) => [e, await metric(e)])));
    const [a, b, c] = [await createTask(t, ada, { title: 'a' }), await createTask(t, ada, { title: 'b' }), await createTask(t, ada, { title: 'c' })];
    for (const task of [a, b, c]) await share(t, ada, task.id, grace, 'viewer');
    await share(t, ada, a.id, grace, 'editor', 200);
    await t.api.delete(`/v1/tasks/${a.id}/shares/${grace.id}`, { token: ada.token });
    await t.api.delete(`/v1/tasks/${b.id}/shares/${grace.id}`, { token: grace.token });
    await t.api.delete(`/v1/tasks/${c.id}`, { token: ada.token });
    // Refused grants count nothing.
    await t.api.put(`/v1/tasks/${c.id}/shares`, { email: grace.email, role: 'viewer' }, { token: ada.token });
    for (const [event, delta] of Object.entries({ granted: 3, role_changed: 1, revoked: 1, left: 1, task_deleted: 1 })) {
      expect({ event, delta: (await metric(event)) - before[event] }).toEqual({ event, delta });
    }
  });
});
