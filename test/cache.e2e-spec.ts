import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { DataSource } from 'typeorm';
import { registerUser } from './helpers/auth';
import { startTestApp, useTestApp, type TestApp } from './helpers/test-app';
import { TcpProxy } from './helpers/tcp-proxy';
import { describeIf } from './helpers/skip';

interface Session {
  userId: string;
  token: string;
}

async function newUser(t: TestApp): Promise<Session> {
  const registered = await registerUser(t.api);
  return { userId: registered.user.id, token: registered.accessToken };
}

async function createTask(t: TestApp, who: Session, title: string): Promise<{ id: string; etag: string }> {
  const response = await t.api.post('/v1/tasks', { title }, { token: who.token });
  expect(response.status).toBe(201);
  return { id: response.body.id, etag: response.headers.get('etag') ?? '' };
}

/** Counts connections TypeORM takes from the pool: every query needs one. */
function countDatabaseUse(t: TestApp): { count(): number; restore(): void } {
  const pool = (t.app.get(DataSource).driver as PostgresDriver).master as { connect: (...args: unknown[]) => unknown };
  const original = pool.connect.bind(pool);
  let calls = 0;
  pool.connect = (...args: unknown[]) => {
    calls += 1;
    return original(...args);
  };
  return { count: () => calls, restore: () => (pool.connect = original) };
}

describe('user-scoped caching (e2e)', () => {
  const t = useTestApp({ RATE_LIMIT_MAX: '100000' });

  it('never answers one user from another user’s entries, even for the same URLs at the same time', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => newUser(t)));
    const own = new Map<string, string[]>();
    for (const [i, user] of users.entries()) {
      const ids = [];
      for (let n = 0; n < 3; n++) ids.push((await createTask(t, user, `user ${i} task ${n}`)).id);
      own.set(user.userId, ids);
    }
    const urls = ['/v1/tasks', '/v1/tasks?limit=20', '/v1/tasks?sort=-createdAt&limit=20'];
    const reads = [];
    for (let round = 0; round < 5; round++) {
      for (const user of users) {
        for (const url of urls) reads.push(t.api.get(url, { token: user.token }).then((r) => ({ user, r })));
      }
    }
    for (const { user, r } of await Promise.all(reads)) {
      expect(r.status).toBe(200);
      const ids = r.body.data.map((task: { id: string }) => task.id).sort();
      expect(ids).toEqual([...(own.get(user.userId) ?? [])].sort());
      for (const task of r.body.data) expect(task.ownerId).toBe(user.userId);
    }
    // Another user's task id is a 404 even when its owner's read of it is cached.
    const [alice, bob] = users as [Session, Session];
    const aliceTask = own.get(alice.userId)?.[0] ?? '';
    expect((await t.api.get(`/v1/tasks/${aliceTask}`, { token: alice.token })).status).toBe(200);
    expect((await t.api.get(`/v1/tasks/${aliceTask}`, { token: bob.token })).status).toBe(404);
  });

  it('shows a write in the very next read of the list and of the task', async () => {
    const user = await newUser(t);
    const task = await createTask(t, user, 'before');
    expect((await t.api.get('/v1/tasks', { token: user.token })).body.data[0].title).toBe('before');
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: user.token })).body.title).toBe('before');
    const patched = await t.api.patch(`/v1/tasks/${task.id}`, { title: 'after' }, { token: user.token });
    expect(patched.status).toBe(200);
    expect((await t.api.get('/v1/tasks', { token: user.token })).body.data[0].title).toBe('after');
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: user.token })).body.title).toBe('after');
    expect((await t.api.delete(`/v1/tasks/${task.id}`, { token: user.token })).status).toBe(204);
    expect((await t.api.get('/v1/tasks', { token: user.token })).body.data).toEqual([]);
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: user.token })).status).toBe(404);
  });

  it('revalidates with ETags: 304 without a body, and without touching PostgreSQL when cached', async () => {
    const user = await newUser(t);
    await createTask(t, user, 'etag me');
    const first = await t.api.get('/v1/tasks', { token: user.token });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    await t.api.get('/v1/tasks', { token: user.token, headers: { 'if-none-match': etag ?? '' } }); // warm every layer
    const db = countDatabaseUse(t);
    try {
      for (let i = 0; i < 10; i++) {
        const revalidated = await t.api.get('/v1/tasks', { token: user.token, headers: { 'if-none-match': etag ?? '' } });
        expect(revalidated.status).toBe(304);
        expect(revalidated.text).toBe('');
        expect(revalidated.headers.get('etag')).toBe(etag);
      }
      expect(db.count()).toBe(0);
    } finally {
      db.restore();
    }
    await createTask(t, user, 'changes the list');
    const changed = await t.api.get('/v1/tasks', { token: user.token, headers: { 'if-none-match': etag ?? '' } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('answers a hit with the very bytes, ETag and JSON content type of the miss that stored it', async () => {
    const user = await newUser(t);
    const task = await createTask(t, user, 'same "bytes" \u00e9\u2603');
    for (const url of ['/v1/tasks?limit=5', `/v1/tasks/${task.id}`]) {
      const db = countDatabaseUse(t);
      let miss;
      let hit;
      try {
        miss = await t.api.get(url, { token: user.token });
        const queriesForMiss = db.count();
        expect(queriesForMiss).toBeGreaterThan(0);
        hit = await t.api.get(url, { token: user.token });
        expect(db.count()).toBe(queriesForMiss); // the second read came from the cache
      } finally {
        db.restore();
      }
      expect(hit.status).toBe(200);
      expect(hit.text).toBe(miss.text);
      expect(JSON.parse(hit.text)).toEqual(miss.body);
      for (const header of ['etag', 'cache-control', 'content-type', 'content-length']) {
        expect(hit.headers.get(header)).toBe(miss.headers.get(header));
      }
      expect(hit.headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = describeIf(redisUrl !== undefined, 'no Redis: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379)');

describeWithRedis('caching across instances on one Redis (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ RATE_LIMIT_MAX: '100000', REDIS_KEY_PREFIX: `tw-two-${Date.now()}:` });
    b = await startTestApp({ RATE_LIMIT_MAX: '100000', REDIS_KEY_PREFIX: a.config.redisKeyPrefix }, { databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('reads a write made through one instance fresh through the other', async () => {
    const user = await newUser(a);
    const task = await createTask(a, user, 'v1');
    for (const app of [a, b]) expect((await app.api.get(`/v1/tasks/${task.id}`, { token: user.token })).body.title).toBe('v1');
    for (const app of [a, b]) expect((await app.api.get('/v1/tasks', { token: user.token })).body.data[0].title).toBe('v1');
    for (let version = 2; version <= 5; version++) {
      const writer = version % 2 === 0 ? a : b;
      const reader = writer === a ? b : a;
      expect((await writer.api.patch(`/v1/tasks/${task.id}`, { title: `v${version}` }, { token: user.token })).status).toBe(200);
      expect((await reader.api.get(`/v1/tasks/${task.id}`, { token: user.token })).body.title).toBe(`v${version}`);
      expect((await reader.api.get('/v1/tasks', { token: user.token })).body.data[0].title).toBe(`v${version}`);
    }
  });
});

describeWithRedis('Redis outage and recovery (e2e)', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(redisUrl ?? 'redis://127.0.0.1:6379');
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.start();
    t = await startTestApp({ RATE_LIMIT_MAX: '100000', REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_TIMEOUT_MS: '200' });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.stop();
  });

  it('keeps reading and writing from PostgreSQL while Redis is down, reports it, and serves nothing stale after', async () => {
    const user = await newUser(t);
    const task = await createTask(t, user, 'cached before the outage');
    expect((await t.api.get('/v1/tasks', { token: user.token })).body.data[0].title).toBe('cached before the outage');
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: user.token })).status).toBe(200);

    proxy.down();
    const started = Date.now();
    const written = await t.api.patch(`/v1/tasks/${task.id}`, { title: 'written during the outage' }, { token: user.token });
    expect(written.status).toBe(200);
    const read = await t.api.get('/v1/tasks', { token: user.token });
    expect(read.status).toBe(200);
    expect(read.body.data[0].title).toBe('written during the outage');
    expect(Date.now() - started).toBeLessThan(5000); // bounded by REDIS_TIMEOUT_MS, no hang
    const ready = await t.api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.redis.status).toBe('degraded');

    proxy.up();
    const deadline = Date.now() + 10000;
    while ((await t.api.get('/health/ready')).body.details.redis.status !== 'up') {
      if (Date.now() > deadline) throw new Error('redis did not come back');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await t.api.get('/v1/tasks', { token: user.token })).body.data[0].title).toBe('written during the outage');
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: user.token })).body.title).toBe('written during the outage');
    // and the cache works again: a second identical read is answered without PostgreSQL
    const etag = (await t.api.get('/v1/tasks', { token: user.token })).headers.get('etag') ?? '';
    expect((await t.api.get('/v1/tasks', { token: user.token, headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});
