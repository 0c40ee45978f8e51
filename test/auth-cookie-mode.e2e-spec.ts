import { registerUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

const COOKIE = '__Host-taskwright-refresh';
const COOKIE_MODE = { 'refresh-token-transport': 'cookie' };
/** What the browser keeps: HttpOnly (no script reads it), Secure, SameSite=Strict, Path=/ (required by __Host-). */
const SET_COOKIE = new RegExp(`^${COOKIE}=([^;]+); Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Strict$`);

/** The refresh token a Set-Cookie header carries. */
function cookieToken(setCookie: string | null): string {
  const match = SET_COOKIE.exec(setCookie ?? '');
  if (!match?.[1]) throw new Error(`not the refresh cookie: ${setCookie}`);
  return match[1];
}

describe('cookie mode: the refresh token in an HttpOnly cookie, for browser apps (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '3' });

  it('login sets the cookie and leaves the token out of the body; refresh reads it and rotates it', async () => {
    const user = await registerUser(t.api);
    const login = await t.api.post('/v1/auth/login', { email: user.email, password: user.password }, { headers: COOKIE_MODE });
    expect(login.status).toBe(200);
    expect(login.body.refreshToken).toBeUndefined();
    expect(login.body.accessToken).toEqual(expect.any(String));
    const first = cookieToken(login.headers.get('set-cookie'));

    // The browser sends the cookie back, with no body at all.
    const refreshed = await t.api.request('POST', '/v1/auth/refresh', { headers: { cookie: `${COOKIE}=${first}` } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).toBeUndefined();
    const second = cookieToken(refreshed.headers.get('set-cookie'));
    expect(second).not.toBe(first);
    expect((await t.api.get('/v1/users/me', { token: refreshed.body.accessToken })).status).toBe(200);

    // The spent cookie again is reuse: 401, and the whole session ends (its newest cookie too).
    const reused = await t.api.request('POST', '/v1/auth/refresh', { headers: { cookie: `${COOKIE}=${first}` } });
    expect(reused.status).toBe(401);
    expect((await t.api.request('POST', '/v1/auth/refresh', { headers: { cookie: `${COOKIE}=${second}` } })).status).toBe(401);
  });

  it('register sets it too; without the header everything stays in the body and no cookie is set', async () => {
    const registered = await t.api.post(
      '/v1/auth/register',
      { email: `cookie-${Date.now()}@example.com`, password: 'a long passphrase', name: 'Cookie' },
      { headers: COOKIE_MODE },
    );
    expect(registered.status).toBe(201);
    expect(registered.body.refreshToken).toBeUndefined();
    cookieToken(registered.headers.get('set-cookie'));
    const plain = await registerUser(t.api);
    const refreshed = await t.api.post('/v1/auth/refresh', { refreshToken: plain.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).toEqual(expect.any(String));
    expect(refreshed.headers.get('set-cookie')).toBeNull();
  });

  it('counts cookie refreshes against the per-session limit like body ones: no way around it', async () => {
    const user = await registerUser(t.api);
    const login = await t.api.post('/v1/auth/login', { email: user.email, password: user.password }, { headers: COOKIE_MODE });
    let token = cookieToken(login.headers.get('set-cookie'));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await t.api.request('POST', '/v1/auth/refresh', { headers: { cookie: `${COOKIE}=${token}` } });
      statuses.push(response.status);
      if (response.status === 200) token = cookieToken(response.headers.get('set-cookie'));
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('logout clears the cookie; a refresh with neither body nor cookie is a 400 naming refreshToken', async () => {
    const user = await registerUser(t.api);
    const login = await t.api.post('/v1/auth/login', { email: user.email, password: user.password }, { headers: COOKIE_MODE });
    const token = cookieToken(login.headers.get('set-cookie'));
    const logout = await t.api.request('POST', '/v1/auth/logout', { token: login.body.accessToken, headers: { cookie: `${COOKIE}=${token}` } });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toBe(`${COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`);
    expect((await t.api.request('POST', '/v1/auth/refresh', { headers: { cookie: `${COOKIE}=${token}` } })).status).toBe(401);
    const none = await t.api.request('POST', '/v1/auth/refresh', {});
    expect(none.status).toBe(400);
    expect(none.body.errors).toEqual([{ field: 'refreshToken', message: 'refreshToken is required' }]);
  });
});
