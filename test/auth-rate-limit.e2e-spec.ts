import { canonicalEmail } from '../src/users/canonical-email';
import { craftJwt, registerUser, uniqueEmail } from './helpers/auth';
import type { ApiResponse } from './helpers/test-app';
import { useTestApp } from './helpers/test-app';

const TYPE = 'https://taskwright.dev/problems/';

/** TRUST_PROXY=1 (one proxy hop) lets a spec speak from many addresses through X-Forwarded-For. */
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
  describe('the strict limits on credential routes (AUTH_RATE_LIMIT_MAX=3, per-address budgets 6)', () => {
    const t = useTestApp({
      AUTH_RATE_LIMIT_MAX: '3',
      AUTH_RATE_LIMIT_TTL_MS: '60000',
      AUTH_LOGIN_IP_FAILURE_MAX: '6',
      AUTH_REGISTER_IP_MAX: '6',
      TRUST_PROXY: '1',
    });

    const login = (email: string, ip: string, password = 'not the password') => t.api.post('/v1/auth/login', { email, password }, from(ip));
    /** Accounts made directly in the database: registering them would spend the register budgets under test. */
    let template: Awaited<ReturnType<typeof registerUser>> | undefined;
    const accounts = async (count: number) => {
      template ??= await registerUser(t.api, {});
      const [row] = await t.sql<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [template.user.id]);
      const made: Array<{ email: string; password: string }> = [];
      for (let i = 0; i < count; i += 1) {
        const email = uniqueEmail('shared');
        await t.sql(`INSERT INTO users (id, email, email_canonical, name, password_hash) VALUES (gen_random_uuid(), $1, $2, 'Shared', $3)`, [
          email,
          canonicalEmail(email),
          row?.password_hash,
        ]);
        made.push({ email, password: template.password });
      }
      return made;
    };

    it('lets many people behind one address log in: successes spend no budget', async () => {
      for (const account of await accounts(12)) expect((await login(account.email, '10.0.0.1', account.password)).status).toBe(200);
    });

    it('blocks an address after its failed logins, on any account, with 429 and Retry-After', async () => {
      for (let i = 0; i < 6; i += 1) expect((await login(uniqueEmail('ip'), '10.0.1.1')).status).toBe(401);
      expectRateLimited(await login(uniqueEmail('ip'), '10.0.1.1'), 60);
      const [someone] = await accounts(1);
      expectRateLimited(await login(someone?.email ?? '', '10.0.1.1', someone?.password), 60);
      // Another address has its own budget.
      expect((await login(uniqueEmail('ip'), '10.0.1.2')).status).toBe(401);
    });

    it('lets no more guesses through in parallel than in sequence (each attempt reserves its budget first)', async () => {
      const [target] = await accounts(1);
      const email = target?.email ?? '';
      const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => login(email, `10.2.${i}.1`).then((r) => r.status)));
      // Budget 3 per account: three wrong passwords are checked, every other attempt is refused.
      expect(statuses.filter((status) => status === 401)).toHaveLength(3);
      expect(statuses.filter((status) => status === 429)).toHaveLength(9);
      expectRateLimited(await login(email, '10.2.99.1', target?.password), 60);
    });

    it('blocks guesses against one account from many addresses and spellings, the same whether or not it exists', async () => {
      const [existing] = await accounts(1);
      for (const email of [existing?.email ?? '', uniqueEmail('nobody')]) {
        const variants = [email, email.toUpperCase(), ` ${email} `];
        for (const [index, variant] of variants.entries()) expect((await login(variant, `10.1.${index}.1`)).status).toBe(401);
        const refused = await login(email.toUpperCase(), '10.1.9.9', existing?.password);
        expectRateLimited(refused, 60);
        expect(Object.keys(refused.body as object).sort()).toEqual(['detail', 'instance', 'requestId', 'status', 'title', 'type']);
        expect((refused.body as { detail: string }).detail).toMatch(/^Too many requests: retry in \d+ s$/);
      }
      // The limit is per account: another account from a fresh address goes through.
      expect((await login(uniqueEmail('Account'), '10.1.10.1')).status).toBe(401);
    });

    it('trusts one proxy hop: spoofed left-most X-Forwarded-For entries share the real address’s budget', async () => {
      for (let i = 0; i < 6; i += 1) {
        const spoofed = await t.api.post('/v1/auth/login', { email: uniqueEmail('spoof'), password: 'not the password' }, from(`198.51.100.${i}, 10.9.0.1`));
        expect(spoofed.status).toBe(401);
      }
      expectRateLimited(await t.api.post('/v1/auth/login', { email: uniqueEmail('spoof'), password: 'x' }, from(`203.0.113.77, 10.9.0.1`)), 60);
    });

    it('never limits refreshes per address; per session it still does', async () => {
      for (let i = 0; i < 8; i += 1) expect((await t.api.post('/v1/auth/refresh', { refreshToken: `garbage-${i}` }, from('10.2.0.1'))).status).toBe(401);
      for (const account of await accounts(3)) {
        const loggedIn = await login(account.email, '10.2.0.2', account.password);
        let token = loggedIn.body.refreshToken as string;
        for (let i = 0; i < 3; i += 1) {
          const refreshed = await t.api.post('/v1/auth/refresh', { refreshToken: token }, from('10.2.0.2'));
          expect(refreshed.status).toBe(200);
          token = refreshed.body.refreshToken;
        }
      }
      const sessionToken = `00000000-0000-7000-8000-000000000000.${'A'.repeat(43)}`;
      for (let i = 0; i < 3; i += 1) expect((await t.api.post('/v1/auth/refresh', { refreshToken: sessionToken }, from(`10.3.0.${i + 1}`))).status).toBe(401);
      expectRateLimited(await t.api.post('/v1/auth/refresh', { refreshToken: sessionToken }, from('10.3.0.9')), 60);
    });

    it('limits registrations per address with their own budget, and per email', async () => {
      for (let i = 0; i < 6; i += 1) {
        const registered = await t.api.post('/v1/auth/register', { email: uniqueEmail('reg'), password: 'correct horse battery', name: 'R' }, from('10.8.0.1'));
        expect(registered.status).toBe(201);
      }
      expectRateLimited(
        await t.api.post('/v1/auth/register', { email: uniqueEmail('reg'), password: 'correct horse battery', name: 'R' }, from('10.8.0.1')),
        60,
      );
      const email = uniqueEmail('reg');
      for (let i = 0; i < 3; i += 1) {
        const attempt = await t.api.post('/v1/auth/register', { email, password: 'short', name: 'R' }, from(`10.8.1.${i + 1}`));
        expect(attempt.status).toBe(400);
      }
      expectRateLimited(await t.api.post('/v1/auth/register', { email, password: 'correct horse battery', name: 'R' }, from('10.8.1.9')), 60);
    });

    it('limits password changes per user', async () => {
      const [account] = await accounts(1);
      const { accessToken } = (await login(account?.email ?? '', '10.4.1.1', account?.password)).body as { accessToken: string };
      const change = (ip: string) =>
        t.api.post('/v1/users/me/password', { currentPassword: 'not the password', newPassword: 'another long password' }, { token: accessToken, ...from(ip) });
      for (let i = 0; i < 3; i += 1) expect((await change(`10.4.0.${i + 1}`)).status).toBe(400);
      expectRateLimited(await change('10.4.0.9'), 60);
    });
  });

  describe('the general limit (RATE_LIMIT_MAX=5)', () => {
    const t = useTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_TTL_MS: '60000', TRUST_PROXY: '1' });

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
