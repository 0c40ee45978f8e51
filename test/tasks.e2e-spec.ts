import { randomUUID } from 'node:crypto';
import { createAdmin, registerUser, type RegisteredUser } from './helpers/auth';
import { useTestApp, type ApiResponse } from './helpers/test-app';
import type { components } from '../clients/typescript/schema';

/** Tasks: CRUD, validation, conditional requests, idempotent creation, ownership and caching. */

/** A task as the API returns it: the type generated from the OpenAPI document. */
type TaskJson = components['schemas']['TaskDto'];

const PROBLEM = /^application\/problem\+json/;

/** The parts of a problem that must not differ between "absent" and "someone else's". */
function problemShape(response: ApiResponse): Record<string, unknown> {
  const { type, title, status, detail } = response.body as Record<string, unknown>;
  return {
    httpStatus: response.status,
    contentType: response.headers.get('content-type'),
    type,
    title,
    status,
    detail,
    keys: Object.keys(response.body as object).sort(),
  };
}

describe('tasks (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '100000' });
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  beforeAll(async () => {
    alice = await registerUser(t.api, { name: 'Alice' });
    bob = await registerUser(t.api, { name: 'Bob' });
  });

  async function create(user: RegisteredUser, body: Record<string, unknown> = { title: 'A task' }): Promise<TaskJson> {
    const response = await t.api.post<TaskJson>('/v1/tasks', body, { token: user.accessToken });
    expect(response.status).toBe(201);
    return response.body;
  }

  describe('create and read', () => {
    it('answers 201 with the task, Location and a strong ETag, applying defaults', async () => {
      const response = await t.api.post<TaskJson>('/v1/tasks', { title: '  Buy milk  ' }, { token: alice.accessToken });
      expect(response.status).toBe(201);
      const task = response.body;
      expect(task).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        title: 'Buy milk',
        description: null,
        status: 'todo',
        priority: 'medium',
        dueAt: null,
        tags: [],
        ownerId: alice.user.id,
        version: 1,
        createdAt: expect.any(String),
        updatedAt: task.createdAt,
        completedAt: null,
        access: 'owner',
      });
      expect(response.headers.get('location')).toBe(`/v1/tasks/${task.id}`);
      const etag = response.headers.get('etag');
      expect(etag).toMatch(/^"[^"]+"$/);

      const read = await t.api.get<TaskJson>(response.headers.get('location') ?? '', { token: alice.accessToken });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(task);
      expect(read.headers.get('etag')).toBe(etag);
      expect(read.headers.get('cache-control')).toBe('private, no-cache');

      const [row] = await t.sql('SELECT owner_id, title, version, deleted_at FROM tasks WHERE id = $1', [task.id]);
      expect(row).toEqual({ owner_id: alice.user.id, title: 'Buy milk', version: 1, deleted_at: null });
    });

    it('stores every field: dueAt normalised to UTC, tags deduplicated, done stamps completedAt', async () => {
      const task = await create(alice, {
        title: 'Ship it',
        description: 'All of it',
        status: 'done',
        priority: 'high',
        dueAt: '2026-12-01T18:00:00.5+01:00',
        tags: ['work', ' work ', 'release'],
      });
      expect(task).toMatchObject({
        description: 'All of it',
        status: 'done',
        priority: 'high',
        dueAt: '2026-12-01T17:00:00.500Z',
        tags: ['work', 'release'],
      });
      expect(task.completedAt).toBe(task.createdAt);
    });

    it('rejects every invalid field in one 400 problem, and creates nothing', async () => {
      const before = await t.sql('SELECT count(*)::int AS n FROM tasks WHERE owner_id = $1', [alice.user.id]);
      const response = await t.api.post(
        '/v1/tasks',
        {
          title: ' ',
          description: 'd'.repeat(10_001),
          status: 'blocked',
          priority: 'urgent',
          dueAt: '2026-02-30T10:00:00Z',
          tags: ['', 'x'.repeat(51), ...Array.from({ length: 20 }, (_, i) => `t${i}`)],
          ownerId: bob.user.id,
          version: 9,
        },
        { token: alice.accessToken },
      );
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(PROBLEM);
      const fields = new Set((response.body.errors as Array<{ field: string }>).map((e) => e.field));
      for (const field of ['title', 'description', 'status', 'priority', 'dueAt', 'tags', 'ownerId', 'version']) {
        expect(fields).toContain(field);
      }
      const after = await t.sql('SELECT count(*)::int AS n FROM tasks WHERE owner_id = $1', [alice.user.id]);
      expect(after).toEqual(before);
    });

    it.each([
      ['no title', {}, 'title'],
      ['a 201-character title', { title: 'x'.repeat(201) }, 'title'],
      ['a date without a time', { title: 'x', dueAt: '2026-12-01' }, 'dueAt'],
      ['a time without a zone', { title: 'x', dueAt: '2026-12-01T10:00:00' }, 'dueAt'],
      ['tags that are not a list', { title: 'x', tags: 'work' }, 'tags'],
      ['a tag that is not a string', { title: 'x', tags: [7] }, 'tags'],
      ['a numeric description', { title: 'x', description: 5 }, 'description'],
      ['a read-only field', { title: 'x', completedAt: '2026-12-01T10:00:00Z' }, 'completedAt'],
      ['a due date in year 0, which PostgreSQL cannot store', { title: 'x', dueAt: '0000-01-01T00:00:00Z' }, 'dueAt'],
      ['a NUL character, which PostgreSQL cannot store', { title: 'a\u0000b' }, 'title'],
      // The input check names the element, as for any nested field.
      ['a NUL character in a tag', { title: 'x', tags: ['\u0000'] }, 'tags.0'],
    ])('rejects %s', async (_label, body, field) => {
      const response = await t.api.post('/v1/tasks', body, { token: alice.accessToken });
      expect(response.status).toBe(400);
      expect((response.body.errors as Array<{ field: string }>).map((e) => e.field)).toContain(field);
    });

    it('says a missing or null required field is required, and a null optional one is to be left out', async () => {
      const missing = await t.api.post('/v1/tasks', {}, { token: alice.accessToken });
      expect(missing.status).toBe(400);
      expect(missing.body.errors).toEqual([{ field: 'title', message: 'title is required' }]);
      const nulled = await t.api.post('/v1/tasks', { title: null, tags: null }, { token: alice.accessToken });
      expect(nulled.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'title', message: 'title is required and must not be null' },
          { field: 'tags', message: 'tags must not be null (leave it out instead)' },
        ]),
      );
      const task = await create(alice);
      const patch = await t.api.patch(`/v1/tasks/${task.id}`, { title: null }, { token: alice.accessToken });
      expect(patch.body.errors).toEqual([{ field: 'title', message: 'title must not be null (leave it out instead)' }]);
      const register = await t.api.post('/v1/auth/register', { email: 'someone@example.com' });
      expect(register.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'password', message: 'password is required' },
          { field: 'name', message: 'name is required' },
        ]),
      );
    });

    it('accepts the limits: a 200-character title, 10,000-character description, 20 tags of 50', async () => {
      const task = await create(alice, {
        title: 't'.repeat(200),
        description: 'd'.repeat(10_000),
        tags: Array.from({ length: 20 }, (_, i) => `${i}`.padStart(50, 'x')),
      });
      expect(task.title).toHaveLength(200);
      expect(task.tags).toHaveLength(20);
    });

    it('requires a bearer token on every route', async () => {
      const id = (await create(alice)).id;
      const responses = await Promise.all([
        t.api.post('/v1/tasks', { title: 'x' }),
        t.api.get('/v1/tasks'),
        t.api.get('/v1/tasks/changes'),
        t.api.get(`/v1/tasks/${id}`),
        t.api.patch(`/v1/tasks/${id}`, { title: 'x' }),
        t.api.delete(`/v1/tasks/${id}`),
        t.api.get('/v1/tasks', { token: 'not-a-token' }),
      ]);
      for (const response of responses) {
        expect(response.status).toBe(401);
        expect(response.headers.get('content-type')).toMatch(PROBLEM);
      }
    });
  });

  describe('conditional requests', () => {
    it('answers 304 with no body to If-None-Match with the current ETag, 200 once it changed', async () => {
      const task = await create(alice);
      const first = await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken });
      const etag = first.headers.get('etag') ?? '';
      const notModified = await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken, headers: { 'if-none-match': etag } });
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      expect(notModified.headers.get('etag')).toBe(etag);

      const patched = await t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { title: 'Changed' }, { token: alice.accessToken });
      expect(patched.headers.get('etag')).not.toBe(etag);
      const changed = await t.api.get<TaskJson>(`/v1/tasks/${task.id}`, { token: alice.accessToken, headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      expect(changed.body.title).toBe('Changed');
      expect(changed.headers.get('etag')).toBe(patched.headers.get('etag'));
    });

    it('answers 304 on the list too, while nothing changed', async () => {
      const list = await t.api.get('/v1/tasks', { token: alice.accessToken });
      const etag = list.headers.get('etag') ?? '';
      expect((await t.api.get('/v1/tasks', { token: alice.accessToken, headers: { 'if-none-match': etag } })).status).toBe(304);
      await create(alice);
      expect((await t.api.get('/v1/tasks', { token: alice.accessToken, headers: { 'if-none-match': etag } })).status).toBe(200);
    });

    it('PATCH with a stale If-Match is 412 and changes nothing; with the current one it applies', async () => {
      const task = await create(alice, { title: 'Original' });
      const created = await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken });
      const staleEtag = created.headers.get('etag') ?? '';
      const first = await t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { title: 'Second' }, { token: alice.accessToken, headers: { 'if-match': staleEtag } });
      expect(first.status).toBe(200);
      expect(first.body.version).toBe(2);

      const stale = await t.api.patch(`/v1/tasks/${task.id}`, { title: 'Lost update' }, { token: alice.accessToken, headers: { 'if-match': staleEtag } });
      expect(stale.status).toBe(412);
      expect(stale.headers.get('content-type')).toMatch(PROBLEM);
      expect(stale.body.type).toBe('https://taskwright.dev/problems/precondition-failed');

      const after = await t.api.get<TaskJson>(`/v1/tasks/${task.id}`, { token: alice.accessToken });
      expect(after.body).toEqual(first.body);
      const [row] = await t.sql('SELECT title, version FROM tasks WHERE id = $1', [task.id]);
      expect(row).toEqual({ title: 'Second', version: 2 });

      const current = await t.api.patch<TaskJson>(
        `/v1/tasks/${task.id}`,
        { title: 'Third' },
        { token: alice.accessToken, headers: { 'if-match': first.headers.get('etag') ?? '' } },
      );
      expect(current.status).toBe(200);
      expect(current.body).toMatchObject({ title: 'Third', version: 3 });
      const any = await t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { title: 'Fourth' }, { token: alice.accessToken, headers: { 'if-match': '*' } });
      expect(any.status).toBe(200);
    });

    it('If-Match with a weak or foreign ETag is 412', async () => {
      const task = await create(alice);
      const etag = (await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken })).headers.get('etag') ?? '';
      for (const header of [`W/${etag}`, '"something-else"']) {
        const response = await t.api.patch(`/v1/tasks/${task.id}`, { title: 'x' }, { token: alice.accessToken, headers: { 'if-match': header } });
        expect(response.status).toBe(412);
      }
      expect((await t.sql('SELECT version FROM tasks WHERE id = $1', [task.id]))[0]).toEqual({ version: 1 });
    });

    it('DELETE with a stale If-Match is 412 and deletes nothing; with the current one it is 204', async () => {
      const task = await create(alice);
      const staleEtag = (await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken })).headers.get('etag') ?? '';
      const patched = await t.api.patch(`/v1/tasks/${task.id}`, { priority: 'high' }, { token: alice.accessToken });

      const stale = await t.api.delete(`/v1/tasks/${task.id}`, { token: alice.accessToken, headers: { 'if-match': staleEtag } });
      expect(stale.status).toBe(412);
      expect((await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken })).status).toBe(200);
      expect((await t.sql('SELECT deleted_at, version FROM tasks WHERE id = $1', [task.id]))[0]).toEqual({ deleted_at: null, version: 2 });

      const deleted = await t.api.delete(`/v1/tasks/${task.id}`, { token: alice.accessToken, headers: { 'if-match': patched.headers.get('etag') ?? '' } });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
    });
  });

  describe('update and delete', () => {
    it('PATCH changes only the fields sent, bumps version and updatedAt, and null clears description and dueAt', async () => {
      const task = await create(alice, { title: 'Plan', description: 'Details', dueAt: '2026-12-24T12:00:00Z', tags: ['a'] });
      const response = await t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { description: null, dueAt: null, title: ' Plan B ' }, { token: alice.accessToken });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        ...task,
        title: 'Plan B',
        description: null,
        dueAt: null,
        version: 2,
        updatedAt: expect.any(String),
      });
      expect(Date.parse(response.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(task.updatedAt));
      expect(response.headers.get('etag')).toMatch(/^"[^"]+"$/);
      const tags = await t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { tags: ['x', 'y', 'x'] }, { token: alice.accessToken });
      expect(tags.body).toMatchObject({ tags: ['x', 'y'], title: 'Plan B', version: 3 });
    });

    it('sets completedAt when a task becomes done, keeps it while done, clears it when it leaves done', async () => {
      const task = await create(alice);
      const done = await t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { status: 'done' }, { token: alice.accessToken });
      expect(done.body.completedAt).toEqual(expect.any(String));
      const stillDone = await t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { status: 'done', title: 'renamed' }, { token: alice.accessToken });
      expect(stillDone.body.completedAt).toBe(done.body.completedAt);
      const reopened = await t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { status: 'in_progress' }, { token: alice.accessToken });
      expect(reopened.body.completedAt).toBeNull();
    });

    it.each([
      [{}, 'body'],
      [{ title: null }, 'title'],
      [{ status: null }, 'status'],
      [{ priority: 'urgent' }, 'priority'],
      [{ tags: null }, 'tags'],
      [{ dueAt: 'next week' }, 'dueAt'],
      [{ ownerId: randomUUID() }, 'ownerId'],
      [{ version: 10 }, 'version'],
    ])('PATCH %j is 400 on %s and changes nothing', async (body, field) => {
      const task = await create(alice);
      const response = await t.api.patch(`/v1/tasks/${task.id}`, body, { token: alice.accessToken });
      expect(response.status).toBe(400);
      expect((response.body.errors as Array<{ field: string }>).map((e) => e.field)).toContain(field);
      expect((await t.sql('SELECT version FROM tasks WHERE id = $1', [task.id]))[0]).toEqual({ version: 1 });
    });

    it('DELETE hides the task everywhere but keeps a tombstone; deleting again is 404', async () => {
      const task = await create(alice, { title: 'Doomed' });
      expect((await t.api.delete(`/v1/tasks/${task.id}`, { token: alice.accessToken })).status).toBe(204);
      expect((await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken })).status).toBe(404);
      expect((await t.api.patch(`/v1/tasks/${task.id}`, { title: 'x' }, { token: alice.accessToken })).status).toBe(404);
      expect((await t.api.delete(`/v1/tasks/${task.id}`, { token: alice.accessToken })).status).toBe(404);
      const list = await t.api.get<{ data: TaskJson[] }>('/v1/tasks?limit=100', { token: alice.accessToken });
      expect(list.body.data.map((x) => x.id)).not.toContain(task.id);
      const [row] = await t.sql<{ deleted_at: Date | null; version: number }>('SELECT deleted_at, version FROM tasks WHERE id = $1', [task.id]);
      expect(row?.deleted_at).toBeInstanceOf(Date);
      expect(row?.version).toBe(2);
    });
  });

  describe('ownership', () => {
    it("answers another user's task exactly like an absent or malformed id, on every route, and changes nothing", async () => {
      const bobs = await create(bob, { title: "Bob's secret" });
      const absent = randomUUID();
      const attempts = async (id: string) => [
        await t.api.get(`/v1/tasks/${id}`, { token: alice.accessToken }),
        await t.api.patch(`/v1/tasks/${id}`, { title: 'Hijacked' }, { token: alice.accessToken }),
        await t.api.patch(`/v1/tasks/${id}`, { title: 'Hijacked' }, { token: alice.accessToken, headers: { 'if-match': '*' } }),
        await t.api.delete(`/v1/tasks/${id}`, { token: alice.accessToken }),
        await t.api.delete(`/v1/tasks/${id}`, { token: alice.accessToken, headers: { 'if-match': `"${id}.1"` } }),
      ];
      const others = await attempts(bobs.id);
      const absents = await attempts(absent);
      const malformed = await attempts('not-a-uuid');
      for (let i = 0; i < others.length; i += 1) {
        const other = others[i] as ApiResponse;
        expect(other.status).toBe(404);
        expect(problemShape(other)).toEqual(problemShape(absents[i] as ApiResponse));
        expect(problemShape(other)).toEqual(problemShape(malformed[i] as ApiResponse));
      }
      expect(JSON.stringify(others.map((r) => r.body))).not.toContain("Bob's secret");
      const [row] = await t.sql('SELECT title, version, deleted_at FROM tasks WHERE id = $1', [bobs.id]);
      expect(row).toEqual({ title: "Bob's secret", version: 1, deleted_at: null });
    });

    it("never lists or feeds another user's tasks", async () => {
      const bobs = await create(bob, { title: 'Only for Bob' });
      const list = await t.api.get<{ data: TaskJson[] }>('/v1/tasks?limit=100', { token: alice.accessToken });
      expect(list.body.data.every((task) => task.ownerId === alice.user.id)).toBe(true);
      const search = await t.api.get<{ data: TaskJson[] }>('/v1/tasks?q=Bob', { token: alice.accessToken });
      expect(search.body.data).toEqual([]);
      const changes = await t.api.get<{ changes: Array<{ id: string }> }>('/v1/tasks/changes?limit=1000', { token: alice.accessToken });
      expect(changes.body.changes.map((c) => c.id)).not.toContain(bobs.id);
    });

    it('refuses ownerId to non-admins with 403, even their own id', async () => {
      for (const ownerId of [bob.user.id, alice.user.id]) {
        const response = await t.api.get(`/v1/tasks?ownerId=${ownerId}`, { token: alice.accessToken });
        expect(response.status).toBe(403);
        expect(response.headers.get('content-type')).toMatch(PROBLEM);
      }
    });

    it("lets an admin list another user's tasks with ownerId, and only list them", async () => {
      const admin = await createAdmin(t);
      const bobs = await create(bob, { title: 'Visible to admins', tags: ['audit'] });
      const response = await t.api.get<{ data: TaskJson[] }>(`/v1/tasks?ownerId=${bob.user.id}&tag=audit`, { token: admin.accessToken });
      expect(response.status).toBe(200);
      expect(response.body.data.map((task) => task.id)).toEqual([bobs.id]);
      const own = await t.api.get<{ data: TaskJson[] }>('/v1/tasks', { token: admin.accessToken });
      expect(own.body.data).toEqual([]);
      expect((await t.api.get(`/v1/tasks/${bobs.id}`, { token: admin.accessToken })).status).toBe(404);
      expect((await t.api.patch(`/v1/tasks/${bobs.id}`, { title: 'x' }, { token: admin.accessToken })).status).toBe(404);
    });
  });

  describe('idempotent creation', () => {
    it('replays the first response for the same key and body, with the same id, Location and ETag', async () => {
      const key = randomUUID();
      const body = { title: 'Pay rent', tags: ['home'] };
      const first = await t.api.post<TaskJson>('/v1/tasks', body, { token: alice.accessToken, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      // Change the task afterwards: a retry still gets the response the first request got.
      await t.api.patch(`/v1/tasks/${first.body.id}`, { title: 'Paid' }, { token: alice.accessToken });
      const retry = await t.api.post<TaskJson>(
        '/v1/tasks',
        { tags: ['home'], title: 'Pay rent' },
        { token: alice.accessToken, headers: { 'idempotency-key': key } },
      );
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.text).toBe(first.text); // byte for byte, key order included
      expect(retry.headers.get('location')).toBe(first.headers.get('location'));
      expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      const rows = await t.sql("SELECT count(*)::int AS n FROM tasks WHERE owner_id = $1 AND title IN ('Pay rent', 'Paid')", [alice.user.id]);
      expect(rows).toEqual([{ n: 1 }]);
    });

    it('answers 409 to the same key with a different body, creating nothing', async () => {
      const key = randomUUID();
      await t.api.post('/v1/tasks', { title: 'One' }, { token: alice.accessToken, headers: { 'idempotency-key': key } });
      const reused = await t.api.post('/v1/tasks', { title: 'Two' }, { token: alice.accessToken, headers: { 'idempotency-key': key } });
      expect(reused.status).toBe(409);
      expect(reused.body.type).toBe('https://taskwright.dev/problems/idempotency-key-reused');
      expect(await t.sql("SELECT 1 FROM tasks WHERE owner_id = $1 AND title = 'Two'", [alice.user.id])).toEqual([]);
    });

    it('never shares keys between users', async () => {
      const key = `shared-${randomUUID()}`;
      const a = await t.api.post<TaskJson>('/v1/tasks', { title: 'Same' }, { token: alice.accessToken, headers: { 'idempotency-key': key } });
      const b = await t.api.post<TaskJson>('/v1/tasks', { title: 'Same' }, { token: bob.accessToken, headers: { 'idempotency-key': key } });
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.body.ownerId).toBe(bob.user.id);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
    });

    it('forgets a key after 24 hours', async () => {
      const key = randomUUID();
      const first = await t.api.post<TaskJson>('/v1/tasks', { title: 'Water plants' }, { token: alice.accessToken, headers: { 'idempotency-key': key } });
      await t.sql(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE user_id = $1 AND key = $2`, [alice.user.id, key]);
      const second = await t.api.post<TaskJson>('/v1/tasks', { title: 'Water plants' }, { token: alice.accessToken, headers: { 'idempotency-key': key } });
      expect(second.status).toBe(201);
      expect(second.body.id).not.toBe(first.body.id);
      expect(second.headers.get('idempotent-replayed')).toBeNull();
    });

    it.each([
      ['256 characters', 'x'.repeat(256)],
      ['a space', 'has space'],
      ['nothing', ''],
    ])('rejects an Idempotency-Key of %s with 400', async (_label, key) => {
      const response = await t.api.post('/v1/tasks', { title: 'Keyed' }, { token: alice.accessToken, headers: { 'idempotency-key': key } });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: 'header.idempotency-key', message: expect.any(String) }]);
    });

    it('accepts a 255-character key of visible ASCII', async () => {
      const key = '!~'.repeat(127) + 'k';
      const response = await t.api.post('/v1/tasks', { title: 'Long key' }, { token: alice.accessToken, headers: { 'idempotency-key': key } });
      expect(response.status).toBe(201);
    });
  });

  describe('caching', () => {
    it('never serves a stale list or task after a write', async () => {
      const task = await create(alice, { title: 'Cached' });
      const listUrl = '/v1/tasks?limit=100&sort=-updatedAt';
      // Twice each, so the second read is served from the cache.
      for (let i = 0; i < 2; i += 1) {
        await t.api.get(listUrl, { token: alice.accessToken });
        await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken });
      }
      await t.api.patch(`/v1/tasks/${task.id}`, { title: 'Fresh' }, { token: alice.accessToken });
      const list = await t.api.get<{ data: TaskJson[] }>(listUrl, { token: alice.accessToken });
      expect(list.body.data.find((x) => x.id === task.id)?.title).toBe('Fresh');
      const single = await t.api.get<TaskJson>(`/v1/tasks/${task.id}`, { token: alice.accessToken });
      expect(single.body).toMatchObject({ title: 'Fresh', version: 2 });

      await t.api.delete(`/v1/tasks/${task.id}`, { token: alice.accessToken });
      expect((await t.api.get(`/v1/tasks/${task.id}`, { token: alice.accessToken })).status).toBe(404);
      const afterDelete = await t.api.get<{ data: TaskJson[] }>(listUrl, { token: alice.accessToken });
      expect(afterDelete.body.data.map((x) => x.id)).not.toContain(task.id);

      const added = await create(alice, { title: 'Brand new' });
      const afterCreate = await t.api.get<{ data: TaskJson[] }>(listUrl, { token: alice.accessToken });
      expect(afterCreate.body.data[0]?.id).toBe(added.id);
    });

    it('gives two users their own answers to the same URL', async () => {
      const carol = await registerUser(t.api);
      const dave = await registerUser(t.api);
      const carols = await create(carol, { title: 'Carol' });
      const daves = await create(dave, { title: 'Dave' });
      for (let i = 0; i < 2; i += 1) {
        const c = await t.api.get<{ data: TaskJson[] }>('/v1/tasks', { token: carol.accessToken });
        const d = await t.api.get<{ data: TaskJson[] }>('/v1/tasks', { token: dave.accessToken });
        expect(c.body.data.map((x) => x.id)).toEqual([carols.id]);
        expect(d.body.data.map((x) => x.id)).toEqual([daves.id]);
      }
      // The same path for someone else's task is a 404, not the other user's cached entry.
      await t.api.get(`/v1/tasks/${carols.id}`, { token: carol.accessToken });
      expect((await t.api.get(`/v1/tasks/${carols.id}`, { token: dave.accessToken })).status).toBe(404);
    });
  });

  it('deleting the account deletes its tasks, tombstones and idempotency keys', async () => {
    const erin = await registerUser(t.api);
    const task = await create(erin);
    await t.api.post('/v1/tasks', { title: 'keyed' }, { token: erin.accessToken, headers: { 'idempotency-key': randomUUID() } });
    await t.api.delete(`/v1/tasks/${task.id}`, { token: erin.accessToken });
    expect(await t.sql('SELECT count(*)::int AS n FROM tasks WHERE owner_id = $1', [erin.user.id])).toEqual([{ n: 2 }]);
    expect((await t.api.delete('/v1/users/me', { token: erin.accessToken })).status).toBe(204);
    expect(await t.sql('SELECT count(*)::int AS n FROM tasks WHERE owner_id = $1', [erin.user.id])).toEqual([{ n: 0 }]);
    expect(await t.sql('SELECT count(*)::int AS n FROM idempotency_keys WHERE user_id = $1', [erin.user.id])).toEqual([{ n: 0 }]);
  });

  it('documents every header, parameter and response of the tasks routes', async () => {
    const doc = (await t.api.get('/docs-json', { skipOpenApiCheck: true })).body;
    const paths = doc.paths as Record<
      string,
      Record<string, { parameters?: Array<{ name: string; in: string }>; responses: Record<string, { headers?: Record<string, unknown> }>; security?: unknown }>
    >;
    const params = (path: string, method: string) => (paths[path]?.[method]?.parameters ?? []).map((p) => `${p.in}:${p.name}`);
    const statuses = (path: string, method: string) => Object.keys(paths[path]?.[method]?.responses ?? {});

    expect(params('/v1/tasks', 'post')).toContain('header:Idempotency-Key');
    expect(statuses('/v1/tasks', 'post')).toEqual(expect.arrayContaining(['201', '400', '401', '409', '413', '415', '429', '500']));
    expect(Object.keys(paths['/v1/tasks']?.post?.responses['201']?.headers ?? {})).toEqual(expect.arrayContaining(['Location', 'ETag']));

    expect(params('/v1/tasks', 'get')).toEqual(
      expect.arrayContaining([
        'query:status',
        'query:priority',
        'query:tag',
        'query:dueBefore',
        'query:dueAfter',
        'query:q',
        'query:sort',
        'query:limit',
        'query:cursor',
        'query:ownerId',
        'header:If-None-Match',
      ]),
    );
    expect(statuses('/v1/tasks', 'get')).toEqual(expect.arrayContaining(['200', '304', '400', '401', '403']));
    expect(params('/v1/tasks/changes', 'get')).toEqual(expect.arrayContaining(['query:since', 'query:limit']));

    expect(params('/v1/tasks/{id}', 'get')).toEqual(expect.arrayContaining(['path:id', 'header:If-None-Match']));
    expect(statuses('/v1/tasks/{id}', 'get')).toEqual(expect.arrayContaining(['200', '304', '401', '404']));
    expect(Object.keys(paths['/v1/tasks/{id}']?.get?.responses['200']?.headers ?? {})).toContain('ETag');
    expect(params('/v1/tasks/{id}', 'patch')).toContain('header:If-Match');
    expect(statuses('/v1/tasks/{id}', 'patch')).toEqual(expect.arrayContaining(['200', '400', '401', '404', '412']));
    expect(params('/v1/tasks/{id}', 'delete')).toContain('header:If-Match');
    expect(statuses('/v1/tasks/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '401', '404', '412']));
    expect(paths['/v1/tasks/{id}']?.delete?.security).toEqual([{ bearer: [] }]);

    const schemas = doc.components.schemas;
    expect(schemas.ChangesPageDto.properties.changes.items.oneOf).toEqual([
      { $ref: '#/components/schemas/TaskDto' },
      { $ref: '#/components/schemas/TombstoneDto' },
    ]);
    expect(schemas.TaskDto.required).toEqual(
      expect.arrayContaining([
        'id',
        'title',
        'description',
        'status',
        'priority',
        'dueAt',
        'tags',
        'ownerId',
        'version',
        'createdAt',
        'updatedAt',
        'completedAt',
      ]),
    );
    expect(schemas.TaskDto.properties.dueAt.nullable).toBe(true);
    expect(schemas.UpdateTaskDto.properties.description.nullable).toBe(true);
    expect(schemas.CreateTaskDto.properties.title).toMatchObject({ minLength: 1, maxLength: 200 });
  });
});
