import { craftJwt, registerUser, uniqueEmail } from './helpers/auth';
import type { ApiResponse } from './helpers/test-app';
import { startTestApp, type TestApp } from './helpers/test-app';

// Starting the app, and argon2 on a busy machine, can outlast Jest's 5 s default.
jest.setTimeout(60_000);

const TYPE = 'https://taskwright.dev/problems/';

/** TRUST_PROXY lets a spec speak from many addresses through X-Forwarded-For. */
const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

function expectRateLimited(response: ApiResponse, maxWaitSeconds: number): void {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: `${TYPE}rate-limited`, status: 429, title: 'Too Many Requests' });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxWaitSeconds);
}

describe('rate limits (e2e)', () => {
  describe('the strict limit on credential routes (AUTH_RATE_LIMIT_MAX=3)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ AUTH_RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_TTL_MS: '60000', TRUST_PROXY: 'true' });
    });
    afterAll(async () => {
      await t?.close();
    });

    const login = (email: string, ip: string) => t.api.post('/v1/auth/login', { email, password: 'not the password' }, from(ip));

    it('allows three logins a minute per IP, then answers 429 with Retry-After', async () => {
      for (let i = 0; i < 3; i += 1) expect((await login(uniqueEmail('ip'), '10.0.0.1')).status).toBe(401);
      expectRateLimited(await login(uniqueEmail('ip'), '10.0.0.1'), 60);
      // Another address has its own budget; registration is a budget of its own too.
      expect((await login(uniqueEmail('ip'), '10.0.0.2')).status).toBe(401);
      const registered = await t.api.post('/v1/auth/register', { email: uniqueEmail('ip'), password: 'correct horse battery', name: 'IP' }, from('10.0.0.1'));
      expect(registered.status).toBe(201);
    });

    it('limits guesses against one account from many addresses, whatever the letter case of the email', async () => {
      const email = uniqueEmail('Account');
      const variants = [email, email.toUpperCase(), ` ${email.toLowerCase()} `];
      for (const [index, variant] of variants.entries()) expect((await login(variant, `10.1.0.${index + 1}`)).status).toBe(401);
      expectRateLimited(await login(email, '10.1.0.9'), 60);
      // The limit is per account: another email from a fresh address goes through.
      expect((await login(uniqueEmail('Account'), '10.1.0.10')).status).toBe(401);
    });

    it('limits refreshes per IP and per session', async () => {
      for (let i = 0; i < 3; i += 1) expect((await t.api.post('/v1/auth/refresh', { refreshToken: `garbage-${i}` }, from('10.2.0.1'))).status).toBe(401);
      expectRateLimited(await t.api.post('/v1/auth/refresh', { refreshToken: 'garbage' }, from('10.2.0.1')), 60);
      const sessionToken = `00000000-0000-7000-8000-000000000000.${'A'.repeat(43)}`;
      for (let i = 0; i < 3; i += 1) expect((await t.api.post('/v1/auth/refresh', { refreshToken: sessionToken }, from(`10.3.0.${i + 1}`))).status).toBe(401);
      expectRateLimited(await t.api.post('/v1/auth/refresh', { refreshToken: sessionToken }, from('10.3.0.9')), 60);
    });

    it('limits password changes like logins', async () => {
      const user = await registerUser(t.api, {});
      const change = () =>
        t.api.post('/v1/users/me/password', { currentPassword: 'not the password', newPassword: 'another long password' }, { token: user.accessToken, ...from('10.4.0.1') });
      for (let i = 0; i < 3; i += 1) expect((await change()).status).toBe(400);
      expectRateLimited(await change(), 60);
    });
  });

  describe('the general limit (RATE_LIMIT_MAX=5)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_TTL_MS: '60000', TRUST_PROXY: 'true' });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('counts per user when the token verifies, so users behind one address do not share a budget', async () => {
      const alice = await registerUser(t.api);
      const bob = await registerUser(t.api);
      for (let i = 0; i < 5; i += 1) {
        const response = await t.api.get('/v1/users/me', { token: alice.accessToken, ...from('10.5.0.1') });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-ratelimit-limit')).toBe('5');
        expect(response.headers.get('x-ratelimit-remaining')).toBe(String(4 - i));
      }
      expectRateLimited(await t.api.get('/v1/users/me', { token: alice.accessToken, ...from('10.5.0.2') }), 60);
      expect((await t.api.get('/v1/users/me', { token: bob.accessToken, ...from('10.5.0.1') })).status).toBe(200);
    });

    it('counts anonymous and badly signed requests per IP, so a forged token cannot spend a user’s budget', async () => {
      const victim = await registerUser(t.api);
      const forged = craftJwt({ alg: 'HS256' }, { sub: victim.user.id, role: 'user', sid: victim.user.id }, 'not-the-secret-not-the-secret-not-the-secret');
      for (let i = 0; i < 5; i += 1) expect((await t.api.get('/v1/users/me', { token: forged, ...from('10.6.0.1') })).status).toBe(401);
      expectRateLimited(await t.api.get('/v1/users/me', { token: forged, ...from('10.6.0.1') }), 60);
      expectRateLimited(await t.api.get('/v1/users/me', from('10.6.0.1')), 60);
      expect((await t.api.get('/v1/users/me', { token: victim.accessToken, ...from('10.6.0.2') })).status).toBe(200);
    });

    it('never limits the health probes', async () => {
      for (let i = 0; i < 12; i += 1) expect((await t.api.get('/health/live', from('10.7.0.1'))).status).toBe(200);
    });
  });
});
