import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { haveChromium, launchChromium, NO_CHROMIUM } from './helpers/chromium';
import { type RegisteredUser, registerUser } from './helpers/auth';
import { freePort } from './helpers/server-process';
import { useTestApp } from './helpers/test-app';
import { itIf } from './helpers/skip';

const ALLOWED = 'https://app.example.com';
const REFUSED = 'https://evil.example.net';

/** A comma-separated header as lower-case entries. */
const list = (header: string | null): string[] => (header ?? '').toLowerCase().split(/\s*,\s*/);

/** A preflight as a browser sends it before a PATCH with If-Match (not a documented operation). */
function preflight(t: { api: { request: (...args: any[]) => Promise<{ status: number; headers: Headers }> } }, origin: string) {
  return t.api.request('OPTIONS', '/v1/tasks/0190a5b8-0000-7000-8000-000000000000', {
    skipOpenApiCheck: true,
    headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type,if-match' },
  });
}

describe('CORS: browser apps on other origins (e2e)', () => {
  describe('with CORS_ORIGINS', () => {
    const t = useTestApp({ CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` });

    it('answers a preflight from an allowed origin: 204, the methods, the headers, a max age', async () => {
      const response = await preflight(t, ALLOWED);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(list(response.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post', 'put', 'patch', 'delete']));
      expect(list(response.headers.get('access-control-allow-headers'))).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key', 'refresh-token-transport']),
      );
      expect(response.headers.get('access-control-max-age')).toBe('600');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('vary')).toMatch(/origin/i);
    });

    it('gives an origin outside the list no CORS headers, so the browser blocks the call', async () => {
      const response = await preflight(t, REFUSED);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const { accessToken } = await registerUser(t.api);
      const read = await t.api.get('/v1/tasks', { token: accessToken, headers: { origin: REFUSED } });
      expect(read.status).toBe(200);
      expect(read.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('marks real responses for the allowed origin and exposes the headers clients read', async () => {
      const { accessToken } = await registerUser(t.api);
      const created = await t.api.post('/v1/tasks', { title: 'From the web app' }, { token: accessToken, headers: { origin: 'http://localhost:5173' } });
      expect(created.status).toBe(201);
      expect(created.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      const exposed = list(created.headers.get('access-control-expose-headers'));
      expect(exposed).toEqual(
        expect.arrayContaining([
          'etag',
          'location',
          'retry-after',
          'x-request-id',
          'x-ratelimit-limit',
          'x-ratelimit-remaining',
          'x-ratelimit-reset',
          'idempotent-replayed',
          'www-authenticate',
        ]),
      );
    });

    it('marks error responses too, so a web app can read the problem', async () => {
      const response = await t.api.get('/v1/tasks', { headers: { origin: ALLOWED } });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    });
  });

  describe('without CORS_ORIGINS (the default)', () => {
    const t = useTestApp();

    it('answers no preflight and marks no response: browsers keep other origins out', async () => {
      const response = await preflight(t, ALLOWED);
      expect(response.status).toBe(404);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const health = await t.api.get('/health/live', { headers: { origin: ALLOWED } });
      expect(health.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});

describe('CORS in a real browser: a page on a second origin calls the API (e2e)', () => {
  // Two static pages on their own ports of 127.0.0.1 (other origins than the API's): one allowed.
  const pages: Server[] = [];
  let allowedPort = 0;
  let refusedPort = 0;
  beforeAll(async () => {
    [allowedPort, refusedPort] = await Promise.all([freePort(), freePort()]);
    for (const port of [allowedPort, refusedPort]) {
      const server = createServer((_request, response) =>
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>web app</title>'),
      );
      await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
      pages.push(server);
    }
  });
  const t = useTestApp(() => ({ CORS_ORIGINS: `http://127.0.0.1:${allowedPort}` }));
  afterAll(async () => {
    await Promise.all(pages.map((server) => new Promise((done) => server.close(done).closeAllConnections())));
  });

  itIf(haveChromium, NO_CHROMIUM)(
    'the allowed page reads a list, its headers, a conditional update and uses cookie mode; the other page is blocked',
    async () => {
      const user = await registerUser(t.api);
      const created = await t.api.post<{ id: string }>('/v1/tasks', { title: 'Shared with the browser' }, { token: user.accessToken });
      // Closed inside the test: its keep-alive connections would hold up the app's close.
      const browser: Browser = await launchChromium();
      try {
        await runInBrowser(browser, user, created.body.id);
      } finally {
        await browser.close();
      }
    },
  );

  async function runInBrowser(browser: Browser, user: RegisteredUser, id: string): Promise<void> {
    const { accessToken } = user;
    const page = await browser.newPage();

    await page.goto(`http://127.0.0.1:${allowedPort}/`);
    const allowed = await page.evaluate(
      async ({ api, token, id }) => {
        const auth = { authorization: `Bearer ${token}` };
        const list = await fetch(`${api}/v1/tasks`, { headers: auth });
        const read = await fetch(`${api}/v1/tasks/${id}`, { headers: auth });
        const etag = read.headers.get('etag') ?? '';
        // A PATCH with If-Match and a JSON body is not a "simple" request: the browser preflights it.
        const patched = await fetch(`${api}/v1/tasks/${id}`, {
          method: 'PATCH',
          headers: { ...auth, 'content-type': 'application/json', 'if-match': etag },
          body: JSON.stringify({ status: 'done' }),
        });
        const stale = await fetch(`${api}/v1/tasks/${id}`, {
          method: 'PATCH',
          headers: { ...auth, 'content-type': 'application/json', 'if-match': etag },
          body: JSON.stringify({ status: 'todo' }),
        });
        return {
          list: list.status,
          requestId: list.headers.get('x-request-id'),
          remaining: list.headers.get('x-ratelimit-remaining'),
          etag,
          patched: patched.status,
          newEtag: patched.headers.get('etag'),
          stale: stale.status,
          staleType: ((await stale.json()) as { type: string }).type,
        };
      },
      { api: t.baseUrl, token: accessToken, id },
    );
    expect(allowed).toEqual({
      list: 200,
      requestId: expect.any(String),
      remaining: expect.stringMatching(/^\d+$/),
      etag: expect.stringMatching(/^"/),
      patched: 200,
      newEtag: expect.stringMatching(/^"/),
      stale: 412,
      staleType: expect.stringMatching(/precondition-failed$/),
    });
    expect(allowed.newEtag).not.toBe(allowed.etag);

    // Cookie mode: the refresh token lives in an HttpOnly cookie no script of the page can read.
    const cookieMode = await page.evaluate(
      async ({ api, email, password }) => {
        const login = await fetch(`${api}/v1/auth/login`, {
          method: 'POST',
          credentials: 'include',
          headers: { 'content-type': 'application/json', 'refresh-token-transport': 'cookie' },
          body: JSON.stringify({ email, password }),
        });
        const loggedIn = (await login.json()) as Record<string, unknown>;
        const refresh = await fetch(`${api}/v1/auth/refresh`, { method: 'POST', credentials: 'include' });
        const refreshed = (await refresh.json()) as Record<string, unknown>;
        return {
          login: login.status,
          bodyHasRefreshToken: 'refreshToken' in loggedIn || 'refreshToken' in refreshed,
          scriptSeesCookie: (globalThis as unknown as { document: { cookie: string } }).document.cookie.includes('taskwright-refresh'),
          refresh: refresh.status,
          newAccessToken: typeof refreshed.accessToken === 'string',
        };
      },
      { api: t.baseUrl, email: user.email, password: user.password },
    );
    expect(cookieMode).toEqual({ login: 200, bodyHasRefreshToken: false, scriptSeesCookie: false, refresh: 200, newAccessToken: true });

    await page.goto(`http://127.0.0.1:${refusedPort}/`);
    const refused = await page.evaluate(
      async ({ api, token }) => {
        try {
          await fetch(`${api}/v1/tasks`, { headers: { authorization: `Bearer ${token}` } });
          return 'read';
        } catch (error) {
          return (error as Error).name;
        }
      },
      { api: t.baseUrl, token: accessToken },
    );
    expect(refused).toBe('TypeError');
  }
});
