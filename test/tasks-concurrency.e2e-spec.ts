import { randomUUID } from 'node:crypto';
import { registerUser, type RegisteredUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';
import type { components } from '../clients/typescript/schema';

/** Optimistic concurrency and idempotent creation under truly concurrent requests. */

/** A task as the API returns it: the type generated from the OpenAPI document. */
type TaskJson = components['schemas']['TaskDto'];

const PARALLEL = 10;

describe('tasks under concurrency (e2e)', () => {
  // A pool as large as the burst, so the requests really overlap in the database.
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '100000', DATABASE_POOL_SIZE: '20' });
  let user: RegisteredUser;

  beforeAll(async () => {
    user = await registerUser(t.api);
  });

  async function create(title = 'Contended'): Promise<{ task: TaskJson; etag: string }> {
    const response = await t.api.post<TaskJson>('/v1/tasks', { title }, { token: user.accessToken });
    return { task: response.body, etag: response.headers.get('etag') ?? '' };
  }

  it(`lets exactly one of ${PARALLEL} PATCHes with the same If-Match win; the rest get 412`, async () => {
    for (let round = 0; round < 3; round += 1) {
      const { task, etag } = await create();
      const responses = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { title: `writer ${i}` }, { token: user.accessToken, headers: { 'if-match': etag } }),
        ),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, ...Array<number>(PARALLEL - 1).fill(412)]);
      const winner = responses.find((r) => r.status === 200);
      const [row] = await t.sql<{ title: string; version: number }>('SELECT title, version FROM tasks WHERE id = $1', [task.id]);
      expect(row).toEqual({ title: winner?.body.title, version: 2 });
    }
  });

  it(`lets exactly one of ${PARALLEL} DELETEs with the same If-Match win`, async () => {
    const { task, etag } = await create();
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, () => t.api.delete(`/v1/tasks/${task.id}`, { token: user.accessToken, headers: { 'if-match': etag } })),
    );
    // The losers find the task gone (404) or, if they looked before it went, changed (412).
    expect(responses.filter((r) => r.status === 204)).toHaveLength(1);
    expect(responses.every((r) => [204, 404, 412].includes(r.status))).toBe(true);
    expect(await t.sql('SELECT version FROM tasks WHERE id = $1 AND deleted_at IS NOT NULL', [task.id])).toEqual([{ version: 2 }]);
  });

  it('counts every unconditional PATCH: last write wins, no version is lost', async () => {
    const { task } = await create();
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => t.api.patch<TaskJson>(`/v1/tasks/${task.id}`, { title: `writer ${i}` }, { token: user.accessToken })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(responses.map((r) => r.body.version).sort((a, b) => a - b)).toEqual(Array.from({ length: PARALLEL }, (_, i) => i + 2));
    const last = responses.find((r) => r.body.version === PARALLEL + 1);
    expect(await t.sql('SELECT title, version FROM tasks WHERE id = $1', [task.id])).toEqual([{ title: last?.body.title, version: PARALLEL + 1 }]);
  });

  it(`creates exactly one task for ${PARALLEL} concurrent POSTs with one Idempotency-Key`, async () => {
    for (let round = 0; round < 3; round += 1) {
      const key = randomUUID();
      const title = `Idempotent ${round} ${key}`;
      const responses = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          t.api.post<TaskJson>('/v1/tasks', { title, tags: ['x'] }, { token: user.accessToken, headers: { 'idempotency-key': key } }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array<number>(PARALLEL).fill(201));
      const first = responses[0];
      for (const response of responses) {
        expect(response.body).toEqual(first?.body);
        expect(response.headers.get('location')).toBe(first?.headers.get('location'));
        expect(response.headers.get('etag')).toBe(first?.headers.get('etag'));
      }
      expect(responses.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
      expect(await t.sql('SELECT id FROM tasks WHERE owner_id = $1 AND title = $2', [user.user.id, title])).toEqual([{ id: first?.body.id }]);
      expect(await t.sql('SELECT resource_id FROM idempotency_keys WHERE user_id = $1 AND key = $2', [user.user.id, key])).toEqual([
        { resource_id: first?.body.id },
      ]);
    }
  });

  it('answers the concurrent reuse of one key with different bodies: one 201, the rest 409', async () => {
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        t.api.post<TaskJson>('/v1/tasks', { title: `variant ${i} ${key}` }, { token: user.accessToken, headers: { 'idempotency-key': key } }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array<number>(PARALLEL - 1).fill(409)]);
    expect(
      await t.sql("SELECT count(*)::int AS n FROM tasks WHERE owner_id = $1 AND title LIKE 'variant %' AND title LIKE $2", [user.user.id, `%${key}`]),
    ).toEqual([{ n: 1 }]);
  });
});
