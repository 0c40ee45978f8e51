import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { registerUser } from './helpers/auth';
import { buildServer, type ServerProcess, serverEnv, startServerProcess } from './helpers/server-process';
import { ApiClient, createTestDatabase } from './helpers/test-app';
import { describeIf } from './helpers/skip';

/**
 * Two instances, as separate processes, behind no load balancer but sharing one PostgreSQL and one
 * Redis, exactly as a scaled-out deployment does. Responses are checked against the committed
 * openapi.json (CI keeps it identical to what the code serves).
 */
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = describeIf(redisUrl !== undefined, 'no Redis: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379)');

const document = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as Record<string, unknown>;

describeWithRedis('two instances on one PostgreSQL and one Redis (e2e)', () => {
  let build: { dir: string; remove(): void };
  let database: { url: string; drop(): Promise<void> };
  let a: ServerProcess;
  let b: ServerProcess;
  let apiA: ApiClient;
  let apiB: ApiClient;
  const AUTH_LIMIT = 6;

  beforeAll(async () => {
    [build, database] = await Promise.all([buildServer(), createTestDatabase()]);
    const env = serverEnv({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl ?? '',
      REDIS_KEY_PREFIX: `tw-scale-${randomBytes(4).toString('hex')}:`,
      AUTH_RATE_LIMIT_MAX: String(AUTH_LIMIT),
      RATE_LIMIT_MAX: '100000',
      LOG_LEVEL: 'warn',
    });
    // The first instance migrates; the second starts once the schema is there, as in a rollout.
    a = await startServerProcess(build.dir, { ...env, MIGRATIONS_RUN: 'true' });
    b = await startServerProcess(build.dir, { ...env, MIGRATIONS_RUN: 'false' });
    apiA = new ApiClient(a.baseUrl).useDocument(document);
    apiB = new ApiClient(b.baseUrl).useDocument(document);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    build?.remove();
  });

  it('reads a write made through one instance fresh through the other (no stale cache)', async () => {
    const user = await registerUser(apiA);
    const created = await apiA.post('/v1/tasks', { title: 'v1' }, { token: user.accessToken });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    for (const api of [apiA, apiB]) {
      expect((await api.get('/v1/tasks', { token: user.accessToken })).body.data[0].title).toBe('v1'); // warm both caches
      expect((await api.get(`/v1/tasks/${id}`, { token: user.accessToken })).body.title).toBe('v1');
    }
    for (let version = 2; version <= 6; version++) {
      const [writer, reader] = version % 2 === 0 ? [apiA, apiB] : [apiB, apiA];
      expect((await writer.patch(`/v1/tasks/${id}`, { title: `v${version}` }, { token: user.accessToken })).status).toBe(200);
      expect((await reader.get(`/v1/tasks/${id}`, { token: user.accessToken })).body.title).toBe(`v${version}`);
      expect((await reader.get('/v1/tasks', { token: user.accessToken })).body.data[0].title).toBe(`v${version}`);
    }
  });

  it('refuses on the other instance at once a session logged out or revoked on one', async () => {
    const user = await registerUser(apiB);
    // Both instances have seen the session as active (and may have cached that).
    for (const api of [apiA, apiB]) expect((await api.get('/v1/users/me', { token: user.accessToken })).status).toBe(200);
    expect((await apiA.post('/v1/auth/logout', undefined, { token: user.accessToken })).status).toBe(204);
    expect((await apiB.get('/v1/users/me', { token: user.accessToken })).status).toBe(401);
    expect((await apiB.post('/v1/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(401);

    const login = await apiA.post('/v1/auth/login', { email: user.email, password: user.password });
    expect(login.status).toBe(200);
    const sessions = await apiB.get('/v1/auth/sessions', { token: login.body.accessToken });
    expect(sessions.status).toBe(200);
    const other = await apiB.post('/v1/auth/login', { email: user.email, password: user.password });
    expect((await apiA.get('/v1/users/me', { token: other.body.accessToken })).status).toBe(200);
    const otherSessions = (await apiA.get('/v1/auth/sessions', { token: other.body.accessToken })).body.data as Array<{ id: string; current: boolean }>;
    const otherSessionId = otherSessions.find((s) => s.current)?.id;
    expect(otherSessionId).toBeDefined();
    expect((await apiB.delete(`/v1/auth/sessions/${otherSessionId}`, { token: login.body.accessToken })).status).toBe(204);
    expect((await apiA.get('/v1/users/me', { token: other.body.accessToken })).status).toBe(401);
  });

  it("invalidates a grantee's cached reads on the other instance: the owner's and the editor's changes, the grant and the revocation", async () => {
    const owner = await registerUser(apiA);
    const grantee = await registerUser(apiB);
    const task = (await apiA.post('/v1/tasks', { title: 'shared v1' }, { token: owner.accessToken })).body as { id: string };
    // The grantee's empty list is cached on both instances before the grant.
    for (const api of [apiA, apiB]) expect((await api.get('/v1/tasks', { token: grantee.accessToken })).body.data).toEqual([]);
    expect((await apiA.put(`/v1/tasks/${task.id}/shares`, { email: grantee.email, role: 'editor' }, { token: owner.accessToken })).status).toBe(201);
    for (const api of [apiA, apiB]) {
      const list = await api.get('/v1/tasks', { token: grantee.accessToken });
      expect(list.body.data.map((listed: { id: string; access: string }) => [listed.id, listed.access])).toEqual([[task.id, 'editor']]);
      expect((await api.get(`/v1/tasks/${task.id}`, { token: grantee.accessToken })).body.title).toBe('shared v1');
      expect((await api.get(`/v1/tasks/${task.id}`, { token: owner.accessToken })).body.title).toBe('shared v1');
    }
    // Writes by either side through one instance are read fresh by the other side through the other.
    for (let version = 2; version <= 5; version++) {
      const [writer, reader, writerApi, readerApi] = version % 2 === 0 ? [owner, grantee, apiA, apiB] : [grantee, owner, apiB, apiA];
      expect((await writerApi.patch(`/v1/tasks/${task.id}`, { title: `shared v${version}` }, { token: writer.accessToken })).status).toBe(200);
      expect((await readerApi.get(`/v1/tasks/${task.id}`, { token: reader.accessToken })).body.title).toBe(`shared v${version}`);
      expect((await readerApi.get('/v1/tasks', { token: reader.accessToken })).body.data[0].title).toBe(`shared v${version}`);
    }
    // Revoked through one instance: gone at once from the grantee's cached reads on both.
    expect((await apiB.delete(`/v1/tasks/${task.id}/shares/${grantee.user.id}`, { token: owner.accessToken })).status).toBe(204);
    for (const api of [apiA, apiB]) {
      expect((await api.get(`/v1/tasks/${task.id}`, { token: grantee.accessToken })).status).toBe(404);
      expect((await api.get('/v1/tasks', { token: grantee.accessToken })).body.data).toEqual([]);
    }
  });

  it('returns the same task when an idempotent create is retried against the other instance', async () => {
    const user = await registerUser(apiA);
    const key = randomUUID();
    const first = await apiA.post('/v1/tasks', { title: 'exactly once' }, { token: user.accessToken, headers: { 'idempotency-key': key } });
    const retry = await apiB.post('/v1/tasks', { title: 'exactly once' }, { token: user.accessToken, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));
    const list = await apiB.get('/v1/tasks', { token: user.accessToken });
    expect(list.body.data.filter((t: { title: string }) => t.title === 'exactly once')).toHaveLength(1);
  });

  // Last: it spends this IP's strict login allowance.
  it('shares the login rate limit between instances', async () => {
    const body = { email: `nobody-${randomUUID()}@example.com`, password: 'wrong password 123' };
    // Alternate between the instances: with per-instance counters each would allow AUTH_LIMIT on its
    // own, so the first 429 could not come before request 2 × AUTH_LIMIT.
    let firstLimited = -1;
    for (let i = 0; i < 2 * AUTH_LIMIT && firstLimited < 0; i++) {
      const response = await (i % 2 === 0 ? apiA : apiB).post('/v1/auth/login', body);
      if (response.status === 429) firstLimited = i;
      else expect(response.status).toBe(401);
    }
    expect(firstLimited).toBeGreaterThanOrEqual(0);
    expect(firstLimited).toBeLessThanOrEqual(AUTH_LIMIT);
    for (const api of [apiA, apiB]) {
      const limited = await api.post('/v1/auth/login', body);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });
});
