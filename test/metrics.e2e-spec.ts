import { createServer } from 'node:net';
import { DataSource, type QueryRunner } from 'typeorm';
import { registerUser } from './helpers/auth';
import { startTestApp, useTestApp, type TestApp } from './helpers/test-app';

/** The value of the sample whose name and labels match exactly (labels in any order). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v) && Object.keys(found).length === Object.keys(labels).length) {
      return Number(match[3]);
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('metrics (e2e)', () => {
  describe('on the main port (default)', () => {
    const t = useTestApp({ DATABASE_POOL_SIZE: '2' });

    it('is documented in the OpenAPI document as text/plain, outside /v1', async () => {
      const doc = (await t.api.get('/docs-json', { skipOpenApiCheck: true })).body;
      expect(doc.paths['/metrics'].get.responses['200'].content).toHaveProperty('text/plain');
    });

    it('exposes the request histogram by route template, never the raw URL', async () => {
      for (let i = 0; i < 3; i++) expect((await t.api.get('/health/live')).status).toBe(200);
      expect((await t.api.get('/health/ready')).status).toBe(200);
      expect((await t.api.get('/v1/no-such-thing/12345')).status).toBe(404);

      const response = await t.api.get<string>('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = response.body;
      expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/health/live', status_code: '200' })).toBe(3);
      expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/health/ready', status_code: '200' })).toBe(1);
      expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
      expect(sample(text, 'http_request_duration_seconds_bucket', { method: 'GET', route: '/health/live', status_code: '200', le: '+Inf' })).toBe(3);
      expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
      expect(text).not.toContain('no-such-thing');
    });

    it('exposes Node process metrics', async () => {
      const text = (await t.api.get<string>('/metrics')).body;
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    });

    it('reads the database pool gauges at scrape time: in use, idle and waiting', async () => {
      const dataSource = t.app.get(DataSource);
      const initial = (await t.api.get<string>('/metrics')).body;
      expect(sample(initial, 'db_pool_connections_max')).toBe(2);
      expect(sample(initial, 'db_pool_connections_in_use')).toBe(0);
      expect(sample(initial, 'db_pool_requests_waiting')).toBe(0);

      const held: QueryRunner[] = [dataSource.createQueryRunner(), dataSource.createQueryRunner()];
      for (const runner of held) await runner.connect();
      const queued = dataSource.query('SELECT 1 AS one');
      try {
        const busy = (await t.api.get<string>('/metrics')).body;
        expect(sample(busy, 'db_pool_connections_in_use')).toBe(2);
        expect(sample(busy, 'db_pool_connections_idle')).toBe(0);
        expect(sample(busy, 'db_pool_requests_waiting')).toBe(1);
      } finally {
        for (const runner of held) await runner.release();
      }
      await expect(queued).resolves.toEqual([{ one: 1 }]);
      const after = (await t.api.get<string>('/metrics')).body;
      expect(sample(after, 'db_pool_connections_in_use')).toBe(0);
      expect(sample(after, 'db_pool_connections_idle')).toBeGreaterThanOrEqual(1);
      expect(sample(after, 'db_pool_requests_waiting')).toBe(0);
    });

    it('counts the user-scoped cache’s misses and hits of real reads', async () => {
      const read = async (result: string) => sample((await t.api.get<string>('/metrics')).body, 'cache_operations_total', { result }) ?? 0;
      const user = await registerUser(t.api);
      const misses = await read('miss');
      expect((await t.api.get('/v1/tasks?limit=7', { token: user.accessToken })).status).toBe(200);
      expect(await read('miss')).toBeGreaterThan(misses);
      const hitsBefore = await read('hit');
      expect((await t.api.get('/v1/tasks?limit=7', { token: user.accessToken })).status).toBe(200);
      expect(await read('hit')).toBeGreaterThan(hitsBefore);
      expect(await read('error')).toBe(0);
    });

    it('counts real failed logins and real 429s (the alert signals), read through /metrics', async () => {
      const read = async () => {
        const text = (await t.api.get<string>('/metrics')).body;
        return {
          failures: sample(text, 'login_failures_total', { reason: 'invalid_credentials' }) ?? 0,
          disabled: sample(text, 'login_failures_total', { reason: 'account_disabled' }) ?? 0,
          loginLimited: sample(text, 'rate_limit_rejections_total', { throttler: 'login-account' }) ?? 0,
          registerLimited: sample(text, 'rate_limit_rejections_total', { throttler: 'auth-account' }) ?? 0,
        };
      };
      const before = await read();
      const email = `metrics-${Date.now().toString(36)}@example.com`;
      // AUTH_RATE_LIMIT_MAX (10) failures, then the account is blocked.
      for (let i = 0; i < 10; i += 1) expect((await t.api.post('/v1/auth/login', { email, password: 'not the password' })).status).toBe(401);
      expect((await t.api.post('/v1/auth/login', { email, password: 'not the password' })).status).toBe(429);
      const taken = `metrics-taken-${Date.now().toString(36)}@example.com`;
      for (let i = 0; i < 10; i += 1) expect((await t.api.post('/v1/auth/register', { email: taken, password: 'short', name: 'M' })).status).toBe(400);
      expect((await t.api.post('/v1/auth/register', { email: taken, password: 'short', name: 'M' })).status).toBe(429);
      const disabled = await registerUser(t.api);
      await t.sql('UPDATE users SET disabled = true WHERE id = $1', [disabled.user.id]);
      expect((await t.api.post('/v1/auth/login', { email: disabled.email, password: disabled.password })).status).toBe(403);
      const after = await read();
      expect(after.failures - before.failures).toBe(10);
      expect(after.disabled - before.disabled).toBe(1);
      expect(after.loginLimited - before.loginLimited).toBe(1);
      expect(after.registerLimited - before.registerLimited).toBe(1);
    });
  });

  describe('with METRICS_ENABLED=false', () => {
    const t = useTestApp({ METRICS_ENABLED: 'false' });

    it('answers /metrics with 404 and leaves it out of the OpenAPI document', async () => {
      const response = await t.api.get('/metrics');
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const doc = (await t.api.get('/docs-json', { skipOpenApiCheck: true })).body;
      expect(doc.paths).not.toHaveProperty('/metrics');
    });
  });

  describe('with METRICS_PORT set', () => {
    let t: TestApp;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      t = await startTestApp({ METRICS_PORT: String(port), HOST: '127.0.0.1' });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('serves /metrics on that port and not on the main one', async () => {
      expect((await t.api.get('/health/live')).status).toBe(200);
      const separate = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(separate.status).toBe(200);
      expect(separate.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await separate.text();
      expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/health/live', status_code: '200' })).toBe(1);
      expect(sample(text, 'db_pool_connections_max')).toBe(10);

      expect((await t.api.get('/metrics')).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(404);
      const doc = (await t.api.get('/docs-json', { skipOpenApiCheck: true })).body;
      expect(doc.paths).not.toHaveProperty('/metrics');
    });

    it('releases the port when the application closes', async () => {
      const other = await startTestApp({ METRICS_PORT: String(await freePort()), HOST: '127.0.0.1' });
      const otherPort = other.config.metricsPort;
      expect((await fetch(`http://127.0.0.1:${otherPort}/metrics`)).status).toBe(200);
      await other.close();
      await expect(fetch(`http://127.0.0.1:${otherPort}/metrics`)).rejects.toThrow();
    });
  });
});
