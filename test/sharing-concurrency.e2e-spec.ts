import { runSlowWriter } from './helpers/slow-writer';
import { registerUser, type RegisteredUser } from './helpers/auth';
import { useTestApp, type TestApp } from './helpers/test-app';
import type { components } from '../clients/typescript/schema';

/**
 * Sharing under concurrency: a grantee's cached reads and change feed stay exact while the owner
 * writes, grants, changes roles and revokes, the grantee edits and leaves, and transactions commit
 * out of order.
 */

type TaskJson = components['schemas']['TaskDto'];
interface Tombstone {
  id: string;
  deleted: true;
  deletedAt: string;
}
type Change = TaskJson | Tombstone;

const isTombstone = (change: Change): change is Tombstone => 'deleted' in change;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A grantee's local replica, built only from the feed: a task may leave (tombstone) and come back. */
class Replica {
  readonly tasks = new Map<string, TaskJson>();
  token = '';

  constructor(
    private readonly t: TestApp,
    private readonly accessToken: string,
  ) {}

  async poll(limit: number): Promise<Change[]> {
    const response = await this.t.api.get<{ changes: Change[]; next: string }>(`/v1/tasks/changes?since=${encodeURIComponent(this.token)}&limit=${limit}`, {
      token: this.accessToken,
    });
    if (response.status !== 200) throw new Error(`changes answered ${response.status}: ${response.text}`);
    const ids = response.body.changes.map((change) => change.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const change of response.body.changes) {
      if (isTombstone(change)) {
        this.tasks.delete(change.id);
      } else {
        const known = this.tasks.get(change.id);
        // A task's state never goes back (the same version again: only the access changed).
        if (known) expect(change.version).toBeGreaterThanOrEqual(known.version);
        this.tasks.set(change.id, change);
      }
    }
    this.token = response.body.next;
    return response.body.changes;
  }

  async drain(limit: number): Promise<void> {
    for (let i = 0; i < 10_000; i += 1) {
      if ((await this.poll(limit)).length === 0) return;
    }
    throw new Error('the feed did not run dry');
  }
}

describe('sharing under concurrency (e2e)', () => {
  // Generous deadlines: these specs are about what the caches and the feed answer under load, and
  // a CI machine running them beside other suites may be slow (the deadlines have their own specs).
  const t = useTestApp({
    AUTH_RATE_LIMIT_MAX: '1000',
    RATE_LIMIT_MAX: '1000000',
    DATABASE_POOL_SIZE: '20',
    DATABASE_CONNECT_TIMEOUT_MS: '15000',
    DATABASE_QUERY_TIMEOUT_MS: '30000',
  });

  /** Everything the user can see, through the API (the list), by id. */
  async function visible(user: RegisteredUser): Promise<Map<string, TaskJson>> {
    const live = new Map<string, TaskJson>();
    let cursor: string | null = null;
    do {
      const query: string = `/v1/tasks?limit=100&sort=createdAt${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await t.api.get<{ data: TaskJson[]; nextCursor: string | null }>(query, { token: user.accessToken });
      expect(page.status).toBe(200);
      for (const task of page.body.data) live.set(task.id, task);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    return live;
  }

  it('never serves a revoked grantee the task from a cache, whatever reads race the revocation', async () => {
    const owner = await registerUser(t.api);
    const grantee = await registerUser(t.api);
    const tasks = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => (await t.api.post<TaskJson>('/v1/tasks', { title: `revocable ${i}` }, { token: owner.accessToken })).body),
    );
    for (let round = 0; round < 3; round++) {
      for (const task of tasks) {
        const granted = await t.api.put(`/v1/tasks/${task.id}/shares`, { email: grantee.email, role: 'viewer' }, { token: owner.accessToken });
        expect(granted.status).toBe(201);
      }
      // Warm the grantee's cache with every task and the list.
      for (const task of tasks) expect((await t.api.get(`/v1/tasks/${task.id}`, { token: grantee.accessToken })).status).toBe(200);
      expect((await visible(grantee)).size).toBe(tasks.length);

      await Promise.all(
        tasks.map(async (task) => {
          // Reads hammer the task and the list while the owner revokes...
          let racing = true;
          const reader = (async () => {
            while (racing) {
              await Promise.all([t.api.get(`/v1/tasks/${task.id}`, { token: grantee.accessToken }), t.api.get('/v1/tasks', { token: grantee.accessToken })]);
            }
          })();
          try {
            await sleep(Math.random() * 20);
            const revoked = await t.api.delete(`/v1/tasks/${task.id}/shares/${grantee.user.id}`, { token: owner.accessToken });
            expect(revoked.status).toBe(204);
            // ...and every read that starts after the revocation answered never sees the task again.
            for (let i = 0; i < 5; i++) {
              expect((await t.api.get(`/v1/tasks/${task.id}`, { token: grantee.accessToken })).status).toBe(404);
              const list = await t.api.get<{ data: TaskJson[] }>('/v1/tasks?limit=100', { token: grantee.accessToken });
              expect(list.body.data.map((listed) => listed.id)).not.toContain(task.id);
            }
          } finally {
            racing = false;
            await reader;
          }
        }),
      );
      expect((await visible(grantee)).size).toBe(0);
    }
  });

  it("keeps a grantee's feed and reads exact under concurrent writes, grants, role changes, revocations and out-of-order commits", async () => {
    const owner = await registerUser(t.api);
    const other = await registerUser(t.api);
    const grantee = await registerUser(t.api);
    const replica = new Replica(t, grantee.accessToken);
    const ownerTasks: string[] = [];
    for (let i = 0; i < 12; i++) ownerTasks.push((await t.api.post<TaskJson>('/v1/tasks', { title: `owned ${i}` }, { token: owner.accessToken })).body.id);
    const otherTasks: string[] = [];
    for (let i = 0; i < 6; i++) otherTasks.push((await t.api.post<TaskJson>('/v1/tasks', { title: `other ${i}` }, { token: other.accessToken })).body.id);

    let writing = true;
    const pick = <T>(items: T[], seed: number): T | undefined => items[seed % Math.max(items.length, 1)];

    // The owners grant, change roles and revoke.
    const sharer = async (who: RegisteredUser, ids: string[], index: number) => {
      for (let step = 0; step < 60; step++) {
        const id = pick(ids, step * 7 + index);
        if (id === undefined) continue;
        const roll = (step * 5 + index) % 6;
        if (roll < 3) {
          const role = roll === 0 ? 'editor' : 'viewer';
          const response = await t.api.put(`/v1/tasks/${id}/shares`, { email: grantee.email, role }, { token: who.accessToken });
          expect([200, 201, 404, 409]).toContain(response.status);
        } else {
          const response = await t.api.delete(`/v1/tasks/${id}/shares/${grantee.user.id}`, { token: who.accessToken });
          expect([204, 404]).toContain(response.status);
        }
      }
    };
    // The owner edits, creates and deletes.
    const ownerWrites = async () => {
      for (let step = 0; step < 60; step++) {
        const id = pick(ownerTasks, step * 3);
        const roll = step % 10;
        if (roll < 6 && id) {
          const response = await t.api.patch(`/v1/tasks/${id}`, { title: `owner edit ${step}` }, { token: owner.accessToken });
          expect([200, 404]).toContain(response.status);
        } else if (roll < 8 || !id) {
          ownerTasks.push((await t.api.post<TaskJson>('/v1/tasks', { title: `owned late ${step}` }, { token: owner.accessToken })).body.id);
        } else {
          const response = await t.api.delete(`/v1/tasks/${id}`, { token: owner.accessToken });
          expect([204, 404]).toContain(response.status);
          ownerTasks.splice(ownerTasks.indexOf(id), 1);
        }
      }
    };
    // The grantee edits what they may, and sometimes leaves.
    const granteeWrites = async () => {
      for (let step = 0; step < 60; step++) {
        const id = pick([...ownerTasks, ...otherTasks], step * 11 + 1);
        if (!id) continue;
        if (step % 9 === 8) {
          const response = await t.api.delete(`/v1/tasks/${id}/shares/${grantee.user.id}`, { token: grantee.accessToken });
          expect([204, 404]).toContain(response.status);
        } else {
          const response = await t.api.patch(`/v1/tasks/${id}`, { priority: step % 2 ? 'high' : 'low' }, { token: grantee.accessToken });
          expect([200, 403, 404]).toContain(response.status);
        }
      }
    };
    // Transactions that take their id early and commit late, on shared tasks (see runSlowWriter).
    const slowWriter = () =>
      runSlowWriter(
        t.databaseUrl,
        () => pick([...ownerTasks, ...otherTasks], Math.floor(Math.random() * 1000)),
        () => writing,
        { min: 20, spread: 40 },
      );
    const poller = async () => {
      let polls = 0;
      while (writing) {
        await replica.poll(5);
        polls += 1;
      }
      return polls;
    };

    const slow = slowWriter();
    const polling = poller();
    await Promise.all([sharer(owner, ownerTasks, 0), sharer(other, otherTasks, 1), ownerWrites(), granteeWrites()]);
    writing = false;
    expect(await polling).toBeGreaterThan(5);
    await slow;
    // The slow writer wrote around the API (nothing invalidated a cache after its last commit);
    // one more write through the API invalidates everyone who can see the task, as every real write does.
    const last = (await t.api.post<TaskJson>('/v1/tasks', { title: 'last' }, { token: other.accessToken })).body;
    expect((await t.api.put(`/v1/tasks/${last.id}/shares`, { email: grantee.email, role: 'viewer' }, { token: other.accessToken })).status).toBe(201);
    for (const id of [...ownerTasks, ...otherTasks]) await t.api.patch(`/v1/tasks/${id}`, { description: 'settled' }, { token: owner.accessToken });
    for (const id of otherTasks) await t.api.patch(`/v1/tasks/${id}`, { description: 'settled' }, { token: other.accessToken });
    await replica.drain(5);

    const state = await visible(grantee);
    expect(state.has(last.id)).toBe(true);
    expect([...replica.tasks.keys()].sort()).toEqual([...state.keys()].sort());
    for (const [id, task] of state) expect(replica.tasks.get(id)).toEqual(task);
    // And every visible task reads the same by id (no stale cached read survived).
    for (const [id, task] of state) expect((await t.api.get(`/v1/tasks/${id}`, { token: grantee.accessToken })).body).toEqual(task);
  });
});
