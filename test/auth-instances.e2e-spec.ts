import { loginUser, registerUser, uniqueEmail } from './helpers/auth';
import { TcpProxy } from './helpers/tcp-proxy';
import { startTestApp, useTestApp, type TestApp } from './helpers/test-app';
import { describeIf } from './helpers/skip';

const redisUrl = process.env.TEST_REDIS_URL;
/** Sharing state between instances needs Redis; without TEST_REDIS_URL these cannot run. */
const describeWithRedis = describeIf(redisUrl !== undefined, 'no Redis: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379)');

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('sessions and limits without Redis reachable (e2e)', () => {
  // Nothing listens on port 1: every Redis command fails at once, as when Redis is down.
  const t = useTestApp({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_TIMEOUT_MS: '100', AUTH_RATE_LIMIT_MAX: '3', AUTH_LOGIN_IP_FAILURE_MAX: '3' });

  it('authenticates and revokes from PostgreSQL, and still rate limits (in memory)', async () => {
    const user = await registerUser(t.api);
    expect((await t.api.get('/v1/users/me', { token: user.accessToken })).status).toBe(200);
    expect((await t.api.post('/v1/auth/logout', undefined, { token: user.accessToken })).status).toBe(204);
    expect((await t.api.get('/v1/users/me', { token: user.accessToken })).status).toBe(401);
    for (let i = 0; i < 3; i += 1) expect((await t.api.post('/v1/auth/login', { email: uniqueEmail(), password: 'not the password' })).status).toBe(401);
    const limited = await t.api.post('/v1/auth/login', { email: uniqueEmail(), password: 'not the password' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describeWithRedis('two instances sharing PostgreSQL and Redis (e2e)', () => {
  let proxy: TcpProxy;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const target = new URL(redisUrl ?? 'redis://127.0.0.1:6379');
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.start();
    // A reaches Redis through a proxy the spec can cut; B directly.
    const shared = { AUTH_RATE_LIMIT_MAX: '5', TRUST_PROXY: '1', REDIS_KEY_PREFIX: `tw-instances-${Date.now().toString(36)}:` };
    a = await startTestApp({ ...shared, REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_TIMEOUT_MS: '200' });
    b = await startTestApp(shared, { databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await proxy?.stop();
  });

  it('refuses a session revoked on one instance on the very next request to the other', async () => {
    const user = await registerUser(a.api);
    const other = await loginUser(b.api, user.email, user.password);
    // Both instances have seen both sessions as active (and cached that in Redis).
    for (const api of [a.api, b.api]) {
      expect((await api.get('/v1/users/me', { token: user.accessToken })).status).toBe(200);
      expect((await api.get('/v1/users/me', { token: other.accessToken })).status).toBe(200);
    }
    expect((await a.api.post('/v1/auth/logout', undefined, { token: user.accessToken })).status).toBe(204);
    expect((await b.api.get('/v1/users/me', { token: user.accessToken })).status).toBe(401);
    expect((await b.api.delete('/v1/auth/sessions', { token: other.accessToken })).status).toBe(204);
    expect((await a.api.get('/v1/users/me', { token: other.accessToken })).status).toBe(200);
    const third = await loginUser(a.api, user.email, user.password);
    expect((await b.api.get('/v1/users/me', { token: third.accessToken })).status).toBe(200);
    expect((await b.api.delete('/v1/auth/sessions', { token: other.accessToken })).status).toBe(204);
    expect((await a.api.get('/v1/users/me', { token: third.accessToken })).status).toBe(401);
  });

  it('shares the strict rate limit between instances', async () => {
    const email = uniqueEmail('shared');
    const statuses: number[] = [];
    // An address of its own, so the logins of the other tests do not count.
    const headers = { 'x-forwarded-for': '10.9.0.1' };
    for (const api of [a.api, b.api, a.api, b.api, a.api, b.api]) {
      statuses.push((await api.post('/v1/auth/login', { email, password: 'not the password' }, { headers })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('publishes a revocation made while its instance could not reach Redis once it reconnects', async () => {
    const user = await registerUser(b.api);
    expect((await a.api.get('/v1/users/me', { token: user.accessToken })).status).toBe(200);
    expect((await b.api.get('/v1/users/me', { token: user.accessToken })).status).toBe(200);

    proxy.down();
    const logout = await a.api.post('/v1/auth/logout', undefined, { token: user.accessToken });
    expect(logout.status).toBe(204);
    // A, without Redis, asks PostgreSQL.
    expect((await a.api.get('/v1/users/me', { token: user.accessToken })).status).toBe(401);

    proxy.up();
    await waitFor(async () => (await a.api.get('/health/ready')).body.details.redis.status === 'up', 'A to reconnect to redis');
    await waitFor(async () => (await b.api.get('/v1/users/me', { token: user.accessToken })).status === 401, 'B to see the revocation', 5000);
    const [row] = await a.sql<{ revoked_reason: string }>('SELECT revoked_reason FROM sessions WHERE user_id = $1', [user.user.id]);
    expect(row?.revoked_reason).toBe('logout');
  });
});
