import { Client } from 'pg';
import { runSlowWriter } from './helpers/slow-writer';
import { loginUser, registerUser, type RegisteredUser } from './helpers/auth';
import { useTestApp, type TestApp } from './helpers/test-app';
import type { components } from '../clients/typescript/schema';

/** GET /v1/tasks/changes: the offline-sync feed never skips a change, even out-of-order commits. */

/** A task as the API returns it: the type generated from the OpenAPI document. */
type TaskJson = components['schemas']['TaskDto'];
interface Tombstone {
  id: string;
  deleted: true;
  deletedAt: string;
}
type Change = TaskJson | Tombstone;
interface ChangesJson {
  changes: Change[];
  next: string;
}

const isTombstone = (change: Change): change is Tombstone => 'deleted' in change;

/** A client's local replica, built only from the feed. */
class Replica {
  readonly tasks = new Map<string, TaskJson>();
  readonly deleted = new Set<string>();
  token = '';

  constructor(
    private readonly t: TestApp,
    private readonly accessToken: string,
  ) {}

  /** One call; applies what it got. */
  async poll(limit = 50): Promise<ChangesJson> {
    const response = await this.t.api.get<ChangesJson>(`/v1/tasks/changes?since=${encodeURIComponent(this.token)}&limit=${limit}`, {
      token: this.accessToken,
    });
    if (response.status !== 200) throw new Error(`changes answered ${response.status}: ${response.text}`);
    const ids = response.body.changes.map((change) => change.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const change of response.body.changes) {
      if (isTombstone(change)) {
        this.tasks.delete(change.id);
        this.deleted.add(change.id);
      } else {
        const known = this.tasks.get(change.id);
        // Versions only ever move forward in the feed.
        if (known) expect(change.version).toBeGreaterThan(known.version);
        expect(this.deleted.has(change.id)).toBe(false);
        this.tasks.set(change.id, change);
      }
    }
    this.token = response.body.next;
    return response.body;
  }

  /** Pages until a page comes back empty. */
  async drain(limit = 50): Promise<void> {
    for (let i = 0; i < 10_000; i += 1) {
      if ((await this.poll(limit)).changes.length === 0) return;
    }
    throw new Error('the feed did not run dry');
  }
}

describe('tasks change feed (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '1000000', DATABASE_POOL_SIZE: '20' });

  /** What the database says the user's tasks are: live ones with their state, and tombstones. */
  async function finalState(user: RegisteredUser): Promise<{ live: Map<string, TaskJson>; deleted: Set<string> }> {
    const live = new Map<string, TaskJson>();
    let cursor: string | null = null;
    do {
      const query: string = `/v1/tasks?limit=100&sort=createdAt${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await t.api.get<{ data: TaskJson[]; nextCursor: string | null }>(query, { token: user.accessToken });
      for (const task of page.body.data) live.set(task.id, task);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    const rows = await t.sql<{ id: string }>('SELECT id FROM tasks WHERE owner_id = $1 AND deleted_at IS NOT NULL', [user.user.id]);
    return { live, deleted: new Set(rows.map((row) => row.id)) };
  }

  function expectReplicaEquals(replica: Replica, state: { live: Map<string, TaskJson>; deleted: Set<string> }): void {
    expect([...replica.tasks.keys()].sort()).toEqual([...state.live.keys()].sort());
    for (const [id, task] of state.live) expect(replica.tasks.get(id)).toEqual(task);
    expect([...replica.deleted].sort()).toEqual([...state.deleted].sort());
  }

  it('starts from the beginning, reports creations, updates (latest state) and deletions, then runs dry', async () => {
    const user = await registerUser(t.api);
    const post = async (title: string) => (await t.api.post<TaskJson>('/v1/tasks', { title }, { token: user.accessToken })).body;
    const a = await post('a');
    const b = await post('b');
    const c = await post('c');

    const replica = new Replica(t, user.accessToken);
    const first = await replica.poll();
    expect(first.changes.map((change) => change.id)).toEqual([a.id, b.id, c.id]);
    expect(first.changes[0]).toEqual(a);
    expect((await replica.poll()).changes).toEqual([]);

    const patched = (await t.api.patch<TaskJson>(`/v1/tasks/${a.id}`, { title: 'a2' }, { token: user.accessToken })).body;
    await t.api.delete(`/v1/tasks/${b.id}`, { token: user.accessToken });
    const d = await post('d');
    const second = await replica.poll();
    expect(second.changes).toEqual([patched, { id: b.id, deleted: true, deletedAt: expect.any(String) }, d]);
    expect((await replica.poll()).changes).toEqual([]);
    // An absent since is the beginning too: now without b, which is only a tombstone.
    const fromStart = await t.api.get<ChangesJson>('/v1/tasks/changes', { token: user.accessToken });
    expect(fromStart.body.changes.map((change) => change.id)).toEqual([c.id, patched.id, b.id, d.id]);
    expectReplicaEquals(replica, await finalState(user));
  });

  it('pages with limit, never repeating or skipping a change', async () => {
    const user = await registerUser(t.api);
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      ids.push((await t.api.post<TaskJson>('/v1/tasks', { title: `t${i}` }, { token: user.accessToken })).body.id);
    }
    const replica = new Replica(t, user.accessToken);
    const seen: string[] = [];
    for (;;) {
      const page = await replica.poll(5);
      if (page.changes.length === 0) break;
      expect(page.changes.length).toBeLessThanOrEqual(5);
      seen.push(...page.changes.map((change) => change.id));
    }
    expect(seen).toEqual(ids);
  });

  it('rejects a since token that is malformed or altered, with 400', async () => {
    const user = await registerUser(t.api);
    const next = (await t.api.get<ChangesJson>('/v1/tasks/changes', { token: user.accessToken })).body.next;
    const [payload, mac] = next.split('.') as [string, string];
    const forged = `${Buffer.from(JSON.stringify({ v: 1, x: '0', s: '0' })).toString('base64url')}.${mac}`;
    for (const bad of ['garbage', `${payload}.AAAA`, forged]) {
      const response = await t.api.get(`/v1/tasks/changes?since=${encodeURIComponent(bad)}`, { token: user.accessToken });
      expect(response.status).toBe(400);
      expect(response.body.type).toBe('https://taskwright.dev/problems/invalid-change-token');
    }
    for (const limit of ['0', '1001', 'x']) {
      expect((await t.api.get(`/v1/tasks/changes?limit=${limit}`, { token: user.accessToken })).status).toBe(400);
    }
  });

  it('delivers a change whose transaction commits after later ones, once it commits', async () => {
    const user = await registerUser(t.api);
    const post = async (title: string) => (await t.api.post<TaskJson>('/v1/tasks', { title }, { token: user.accessToken })).body;
    const held = await post('held');
    const replica = new Replica(t, user.accessToken);
    await replica.drain();
    expect(replica.tasks.get(held.id)?.version).toBe(1);

    // A writer that started first and commits last: its update stays uncommitted while others commit.
    const slow = new Client({ connectionString: t.databaseUrl });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`UPDATE tasks SET title = 'held, then committed', version = version + 1, updated_at = now() WHERE id = $1`, [held.id]);
      const later = await post('later');
      const patched = (await t.api.patch<TaskJson>(`/v1/tasks/${later.id}`, { title: 'later, patched' }, { token: user.accessToken })).body;

      // Committed rows above the open transaction are held back (not skipped), polled twice with
      // the same token to prove no stale answer gets cached either.
      expect((await replica.poll()).changes).toEqual([]);
      const tokenWhileHeld = replica.token;
      expect((await replica.poll()).changes).toEqual([]);
      expect(replica.token).toBe(tokenWhileHeld);
      expect(replica.tasks.has(later.id)).toBe(false);

      await slow.query('COMMIT');
      const after = await replica.poll();
      expect(after.changes.map((change) => change.id)).toEqual([held.id, later.id]);
      expect(replica.tasks.get(held.id)).toMatchObject({ title: 'held, then committed', version: 2 });
      expect(replica.tasks.get(later.id)).toEqual(patched);
    } finally {
      await slow.end();
    }
    expectReplicaEquals(replica, await finalState(user));
  });

  it('ends up equal to the final state while several clients write concurrently and transactions commit out of order', async () => {
    const user = await registerUser(t.api);
    const stranger = await registerUser(t.api);
    // Several devices of the same user, each with its own session.
    const devices = [user.accessToken, ...(await Promise.all([0, 1, 2].map(async () => (await loginUser(t.api, user.email, user.password)).accessToken)))];
    const replica = new Replica(t, user.accessToken);
    const ownIds = new Set<string>();

    let writing = true;
    const device = async (token: string, index: number) => {
      const mine: string[] = [];
      for (let step = 0; step < 40; step += 1) {
        const roll = (step * 7 + index * 3) % 10;
        const target = mine[(step * 5 + index) % Math.max(mine.length, 1)];
        if (roll < 4 || target === undefined) {
          const created = await t.api.post<TaskJson>('/v1/tasks', { title: `d${index} s${step}` }, { token });
          expect(created.status).toBe(201);
          mine.push(created.body.id);
          ownIds.add(created.body.id);
        } else if (roll < 8) {
          const response = await t.api.patch(`/v1/tasks/${target}`, { title: `d${index} s${step} edit`, priority: 'high' }, { token });
          expect([200, 404]).toContain(response.status);
        } else {
          const response = await t.api.delete(`/v1/tasks/${target}`, { token });
          expect([204, 404]).toContain(response.status);
          mine.splice(mine.indexOf(target), 1);
        }
      }
    };
    // Transactions that take an id early and commit late (see runSlowWriter).
    const slowWriter = () =>
      runSlowWriter(
        t.databaseUrl,
        () => {
          const ids = [...ownIds];
          return ids[Math.floor(Math.random() * ids.length)];
        },
        () => writing,
        { min: 30, spread: 50 },
      );
    const strangerWrites = async () => {
      for (let i = 0; i < 30; i += 1) await t.api.post('/v1/tasks', { title: `stranger ${i}` }, { token: stranger.accessToken });
    };
    const poller = async () => {
      let polls = 0;
      while (writing) {
        await replica.poll(7);
        polls += 1;
      }
      return polls;
    };

    const slow = slowWriter();
    const polling = poller();
    await Promise.all([...devices.map((token, index) => device(token, index)), strangerWrites()]);
    writing = false;
    expect(await polling).toBeGreaterThan(5);
    await slow;
    // The slow writer wrote around the API, so nothing invalidated the user's cache after its last
    // commit; one more write through the API does, as every real write would.
    const sentinel = await t.api.post<TaskJson>('/v1/tasks', { title: 'sentinel' }, { token: user.accessToken });
    await replica.drain(7);

    const state = await finalState(user);
    expect(state.live.has(sentinel.body.id)).toBe(true);
    expect(state.deleted.size).toBeGreaterThan(0);
    expectReplicaEquals(replica, state);
    const strangers = await t.sql<{ id: string }>('SELECT id FROM tasks WHERE owner_id = $1', [stranger.user.id]);
    for (const { id } of strangers) {
      expect(replica.tasks.has(id) || replica.deleted.has(id)).toBe(false);
    }
  });
});
