import { canonicalEmail } from '../src/users/canonical-email';
import { createAdmin as runCreateAdmin } from '../src/cli/create-admin';
import { loadConfig } from '../src/config/app-config';
import { loginUser, registerUser, uniqueEmail } from './helpers/auth';
import { startTestApp, type TestApp, testEnv } from './helpers/test-app';

describe('the first admin (e2e)', () => {
  const started: TestApp[] = [];
  const start = async (env: Record<string, string>, databaseUrl?: string) => {
    const app = await startTestApp({ AUTH_RATE_LIMIT_MAX: '1000', ...env }, { databaseUrl });
    started.push(app);
    return app;
  };
  afterAll(async () => {
    // The first app of each pair owns (and drops) the database: close the others first.
    for (const app of started.reverse()) await app.close();
  });

  const accounts = (t: TestApp, email: string) =>
    t.sql<{ id: string; role: string; password_hash: string }>('SELECT id, role, password_hash FROM users WHERE email_canonical = $1', [canonicalEmail(email)]);

  it('creates the ADMIN_EMAIL account at start-up, and a second start on the same database changes nothing', async () => {
    const email = uniqueEmail('root');
    const first = await start({ ADMIN_EMAIL: email, ADMIN_PASSWORD: 'bootstrap password' });
    const [created] = await accounts(first, email);
    expect(created?.role).toBe('admin');
    const admin = await loginUser(first.api, email, 'bootstrap password');
    expect(admin.user).toMatchObject({ email, role: 'admin', name: 'Administrator' });
    expect((await first.api.get('/v1/users', { token: admin.accessToken })).status).toBe(200);

    const second = await start({ ADMIN_EMAIL: email.toUpperCase(), ADMIN_PASSWORD: 'another password entirely' }, first.databaseUrl);
    expect(await accounts(second, email)).toEqual([created]);
    expect((await loginUser(second.api, email, 'bootstrap password')).user.role).toBe('admin');
    expect((await second.api.post('/v1/auth/login', { email, password: 'another password entirely' })).status).toBe(401);
  });

  it('promotes an existing account named by ADMIN_EMAIL and leaves its password alone', async () => {
    const plain = await start({});
    const user = await registerUser(plain.api);
    expect((await plain.api.get('/v1/users', { token: user.accessToken })).status).toBe(403);

    const configured = await start({ ADMIN_EMAIL: `  ${user.email.toUpperCase()}  `, ADMIN_PASSWORD: 'not the user password' }, plain.databaseUrl);
    const [row] = await accounts(configured, user.email);
    expect(row?.role).toBe('admin');
    const login = await loginUser(configured.api, user.email, user.password);
    expect(login.user.role).toBe('admin');
    expect((await configured.api.get('/v1/users', { token: login.accessToken })).status).toBe(200);
  });

  it('gives the create-admin command the same create-or-promote behaviour, idempotently', async () => {
    const t = await start({});
    const config = loadConfig(testEnv({ DATABASE_URL: t.databaseUrl }));
    const email = uniqueEmail('cli');
    expect(await runCreateAdmin({ email, password: 'command line password', name: 'Ops' }, config)).toBe('created');
    expect(await runCreateAdmin({ email: email.toUpperCase(), password: 'ignored this time', name: 'Ops' }, config)).toBe('unchanged');
    const admin = await loginUser(t.api, email, 'command line password');
    expect(admin.user).toMatchObject({ role: 'admin', name: 'Ops' });

    const existing = await registerUser(t.api);
    expect(await runCreateAdmin({ email: existing.email, password: 'ignored for existing', name: 'Ignored' }, config)).toBe('promoted');
    expect((await loginUser(t.api, existing.email, existing.password)).user).toMatchObject({ role: 'admin', name: 'Test User' });
  });

  it('never lets a user raise their own role through the API', async () => {
    const t = await start({});
    const user = await registerUser(t.api);
    const attempts = [
      await t.api.patch('/v1/users/me', { role: 'admin' }, { token: user.accessToken }),
      await t.api.patch(`/v1/users/${user.user.id}`, { role: 'admin' }, { token: user.accessToken }),
      await t.api.post('/v1/auth/register', { email: uniqueEmail(), password: 'correct horse battery', name: 'x', role: 'admin' }),
    ];
    expect(attempts.map((response) => response.status)).toEqual([400, 403, 400]);
    const [row] = await accounts(t, user.email);
    expect(row?.role).toBe('user');
  });
});
