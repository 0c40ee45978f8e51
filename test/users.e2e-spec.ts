import { createAdmin, decodeAccessToken, loginUser, registerUser, type RegisteredUser, type TokenResponseJson, uniqueEmail } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

const PROBLEM = /^application\/problem\+json/;
const TYPE = 'https://taskwright.dev/problems/';

describe('users (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '10000' });

  const me = (token: string) => t.api.get('/v1/users/me', { token });
  const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((error) => error.field);

  describe('/v1/users/me', () => {
    it('reads the caller’s account with an ETag, and answers 304 to a matching If-None-Match', async () => {
      const user = await registerUser(t.api, { name: 'Grace' });
      const response = await me(user.accessToken);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(user.user);
      expect(response.headers.get('cache-control')).toBe('private, no-cache');
      const etag = response.headers.get('etag') ?? '';
      expect(etag).not.toBe('');
      const revalidated = await t.api.get('/v1/users/me', { token: user.accessToken, headers: { 'if-none-match': etag } });
      expect(revalidated.status).toBe(304);
      expect(revalidated.text).toBe('');
    });

    it('changes the name, and nothing else', async () => {
      const user = await registerUser(t.api, { name: 'Grace' });
      const renamed = await t.api.patch('/v1/users/me', { name: '  Grace Hopper ' }, { token: user.accessToken });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ id: user.user.id, name: 'Grace Hopper', email: user.email, role: 'user' });
      expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(user.user.updatedAt));
      expect((await me(user.accessToken)).body.name).toBe('Grace Hopper');
      expect((await t.api.patch('/v1/users/me', {}, { token: user.accessToken })).status).toBe(200);
    });

    it('rejects mass assignment (role, email, disabled) with 400 listing each field', async () => {
      const user = await registerUser(t.api);
      const response = await t.api.patch(
        '/v1/users/me',
        { name: 'Mallory', role: 'admin', email: 'x@example.com', disabled: false },
        { token: user.accessToken },
      );
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(PROBLEM);
      expect(new Set(fieldsOf(response.body))).toEqual(new Set(['role', 'email', 'disabled']));
      const [row] = await t.sql<{ role: string; name: string }>('SELECT role, name FROM users WHERE id = $1', [user.user.id]);
      expect(row).toEqual({ role: 'user', name: 'Test User' });
      const badName = await t.api.patch('/v1/users/me', { name: '' }, { token: user.accessToken });
      expect(fieldsOf(badName.body)).toEqual(['name']);
    });

    it('needs a token', async () => {
      const response = await t.api.get('/v1/users/me');
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(PROBLEM);
    });
  });

  describe('POST /v1/users/me/password', () => {
    it('changes the password and revokes every other session at once, keeping the current one', async () => {
      const user = await registerUser(t.api);
      const other = await loginUser(t.api, user.email, user.password);
      expect((await me(other.accessToken)).status).toBe(200);
      const response = await t.api.post(
        '/v1/users/me/password',
        { currentPassword: user.password, newPassword: 'a brand new passphrase' },
        { token: user.accessToken },
      );
      expect(response.status).toBe(204);
      expect((await me(other.accessToken)).status).toBe(401);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: other.refreshToken })).status).toBe(401);
      expect((await me(user.accessToken)).status).toBe(200);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(200);
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: user.password })).status).toBe(401);
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: 'a brand new passphrase' })).status).toBe(200);
      const [row] = await t.sql<{ revoked_reason: string }>('SELECT revoked_reason FROM sessions WHERE id = $1', [decodeAccessToken(other.accessToken).sid]);
      expect(row?.revoked_reason).toBe('password-changed');
    });

    it('refuses a wrong current password (400 naming it) and a new password outside the policy', async () => {
      const user = await registerUser(t.api);
      const wrong = await t.api.post(
        '/v1/users/me/password',
        { currentPassword: 'not the password', newPassword: 'a brand new passphrase' },
        { token: user.accessToken },
      );
      expect(wrong.status).toBe(400);
      expect(wrong.body.type).toBe(`${TYPE}wrong-current-password`);
      expect(fieldsOf(wrong.body)).toEqual(['currentPassword']);
      const short = await t.api.post('/v1/users/me/password', { currentPassword: user.password, newPassword: 'short' }, { token: user.accessToken });
      expect(short.status).toBe(400);
      expect(fieldsOf(short.body)).toEqual(['newPassword']);
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    });
  });

  describe('DELETE /v1/users/me', () => {
    it('deletes the account, its sessions and its tasks, and its tokens stop working at once', async () => {
      const user = await registerUser(t.api);
      const other = await loginUser(t.api, user.email, user.password);
      expect((await me(other.accessToken)).status).toBe(200);
      expect((await t.api.post('/v1/tasks', { title: 'goes with the account' }, { token: user.accessToken })).status).toBe(201);
      const response = await t.api.delete('/v1/users/me', { token: user.accessToken });
      expect(response.status).toBe(204);
      for (const token of [user.accessToken, other.accessToken]) expect((await me(token)).status).toBe(401);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: other.refreshToken })).status).toBe(401);
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: user.password })).status).toBe(401);
      expect(await t.sql('SELECT 1 FROM users WHERE id = $1', [user.user.id])).toEqual([]);
      expect(await t.sql('SELECT 1 FROM sessions WHERE user_id = $1', [user.user.id])).toEqual([]);
      expect(await t.sql('SELECT 1 FROM tasks WHERE owner_id = $1', [user.user.id])).toEqual([]);
      // The email is free again.
      expect((await registerUser(t.api, { email: user.email })).user.id).not.toBe(user.user.id);
    });
  });

  describe('admin routes', () => {
    let admin: RegisteredUser;
    let user: RegisteredUser;
    beforeAll(async () => {
      admin = await createAdmin(t);
      user = await registerUser(t.api);
    });

    it('answer 403 to a user, whatever the route, and change nothing', async () => {
      const token = user.accessToken;
      const attempts = [
        await t.api.get('/v1/users', { token }),
        await t.api.get(`/v1/users/${admin.user.id}`, { token }),
        await t.api.patch(`/v1/users/${user.user.id}`, { role: 'admin' }, { token }),
        await t.api.patch(`/v1/users/${admin.user.id}`, { disabled: true }, { token }),
        await t.api.delete(`/v1/users/${admin.user.id}`, { token }),
      ];
      for (const response of attempts) {
        expect(response.status).toBe(403);
        expect(response.headers.get('content-type')).toMatch(PROBLEM);
        expect(response.body.type).toBe(`${TYPE}forbidden`);
      }
      const [row] = await t.sql<{ role: string }>('SELECT role FROM users WHERE id = $1', [user.user.id]);
      expect(row?.role).toBe('user');
      expect((await me(admin.accessToken)).status).toBe(200);
    });

    it('answer 401 without a token', async () => {
      expect((await t.api.get('/v1/users')).status).toBe(401);
      expect((await t.api.get(`/v1/users/${user.user.id}`)).status).toBe(401);
    });

    it('read one account, 404 for an unknown id and the same 404 for a malformed one', async () => {
      const found = await t.api.get(`/v1/users/${user.user.id}`, { token: admin.accessToken });
      expect(found.status).toBe(200);
      expect(found.body).toEqual(user.user);
      const unknown = await t.api.get('/v1/users/00000000-0000-7000-8000-000000000000', { token: admin.accessToken });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toMatch(PROBLEM);
      const malformed = await t.api.get('/v1/users/42', { token: admin.accessToken });
      expect(malformed.status).toBe(404);
      expect({ ...malformed.body, instance: undefined, requestId: undefined }).toEqual({ ...unknown.body, instance: undefined, requestId: undefined });
    });

    it('page through every account newest first, with no duplicates and a null cursor at the end', async () => {
      const label = `page${Date.now().toString(36)}`;
      const created: string[] = [];
      for (let i = 0; i < 5; i += 1) created.push((await registerUser(t.api, { email: uniqueEmail(label) })).user.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `?limit=2&email=${label}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await t.api.get(`/v1/users${query}`, { token: admin.accessToken });
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((u: { id: string }) => u.id));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...created].reverse());
      // The cursor is signed for its filters, as for tasks: another filter or a forged one is 400.
      const first = await t.api.get(`/v1/users?limit=2&email=${label}`, { token: admin.accessToken });
      const next = encodeURIComponent(first.body.nextCursor);
      for (const query of [`?limit=2&cursor=${next}`, `?limit=2&email=${label}&role=admin&cursor=${next}`, `?limit=2&email=${label}&cursor=x${next}`]) {
        const refused = await t.api.get(`/v1/users${query}`, { token: admin.accessToken });
        expect({ query, status: refused.status, type: refused.body.type }).toEqual({
          query,
          status: 400,
          type: 'https://taskwright.dev/problems/invalid-cursor',
        });
      }
    });

    it('filter by case-insensitive email prefix and by role', async () => {
      const email = uniqueEmail('FilterMe');
      const target = await registerUser(t.api, { email });
      const byPrefix = await t.api.get(`/v1/users?email=${encodeURIComponent(email.slice(0, 20).toUpperCase())}`, { token: admin.accessToken });
      expect(byPrefix.body.data.map((u: { id: string }) => u.id)).toEqual([target.user.id]);
      const exact = await t.api.get(`/v1/users?email=${encodeURIComponent(email.toLowerCase())}`, { token: admin.accessToken });
      expect(exact.body.data.map((u: { id: string }) => u.id)).toEqual([target.user.id]);
      // LIKE wildcards in the filter are literal characters.
      const wildcard = await t.api.get('/v1/users?email=%25', { token: admin.accessToken });
      expect(wildcard.body.data).toEqual([]);
      const admins = await t.api.get('/v1/users?role=admin&limit=100', { token: admin.accessToken });
      expect(admins.body.data.every((u: { role: string }) => u.role === 'admin')).toBe(true);
      expect(admins.body.data.map((u: { id: string }) => u.id)).toContain(admin.user.id);
      const users = await t.api.get('/v1/users?role=user&limit=100', { token: admin.accessToken });
      expect(users.body.data.map((u: { id: string }) => u.id)).not.toContain(admin.user.id);
    });

    it('validate the list query, listing every bad parameter', async () => {
      const token = admin.accessToken;
      for (const limit of ['0', '101', 'abc', '2.5']) {
        const response = await t.api.get(`/v1/users?limit=${limit}`, { token });
        expect(response.status).toBe(400);
        expect(fieldsOf(response.body)).toContain('limit');
      }
      const several = await t.api.get('/v1/users?limit=0&role=root&unknown=1', { token });
      expect(new Set(fieldsOf(several.body))).toEqual(new Set(['limit', 'role', 'unknown']));
      const cursor = await t.api.get('/v1/users?cursor=not-a-cursor', { token });
      expect(cursor.status).toBe(400);
      expect(cursor.body.type).toBe('https://taskwright.dev/problems/invalid-cursor'); // as for tasks
      expect(fieldsOf(cursor.body)).toEqual(['cursor']);
    });

    it('promote a user; the new role arrives with the next refresh', async () => {
      const promoted = await registerUser(t.api);
      const response = await t.api.patch(`/v1/users/${promoted.user.id}`, { role: 'admin' }, { token: admin.accessToken });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: promoted.user.id, role: 'admin', disabled: false });
      const refreshed = await t.api.post<TokenResponseJson>('/v1/auth/refresh', { refreshToken: promoted.refreshToken });
      expect(refreshed.body.user.role).toBe('admin');
      expect(decodeAccessToken(refreshed.body.accessToken).role).toBe('admin');
      expect((await t.api.get('/v1/users', { token: refreshed.body.accessToken })).status).toBe(200);
    });

    it('demote an admin and end their sessions at once, since their tokens still say admin', async () => {
      const other = await createAdmin(t);
      expect((await t.api.get('/v1/users', { token: other.accessToken })).status).toBe(200);
      const response = await t.api.patch(`/v1/users/${other.user.id}`, { role: 'user' }, { token: admin.accessToken });
      expect(response.status).toBe(200);
      expect(response.body.role).toBe('user');
      expect((await t.api.get('/v1/users', { token: other.accessToken })).status).toBe(401);
      const again = await loginUser(t.api, other.email, other.password);
      expect(again.user.role).toBe('user');
      expect((await t.api.get('/v1/users', { token: again.accessToken })).status).toBe(403);
    });

    it('disable an account: its sessions end at once and it cannot log in until enabled again', async () => {
      const victim = await registerUser(t.api);
      const second = await loginUser(t.api, victim.email, victim.password);
      // Both sessions have been seen as active, so a cached answer exists that disabling must override.
      for (const token of [victim.accessToken, second.accessToken]) expect((await me(token)).status).toBe(200);
      const disabled = await t.api.patch(`/v1/users/${victim.user.id}`, { disabled: true }, { token: admin.accessToken });
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabled).toBe(true);
      for (const token of [victim.accessToken, second.accessToken]) expect((await me(token)).status).toBe(401);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
      const login = await t.api.post('/v1/auth/login', { email: victim.email, password: victim.password });
      expect(login.status).toBe(403);
      expect(login.body.type).toBe(`${TYPE}account-disabled`);

      const enabled = await t.api.patch(`/v1/users/${victim.user.id}`, { disabled: false }, { token: admin.accessToken });
      expect(enabled.body.disabled).toBe(false);
      expect((await loginUser(t.api, victim.email, victim.password)).user.disabled).toBe(false);
    });

    it('refuse to let an admin disable or demote themselves', async () => {
      for (const patch of [{ disabled: true }, { role: 'user' }]) {
        const response = await t.api.patch(`/v1/users/${admin.user.id}`, patch, { token: admin.accessToken });
        expect(response.status).toBe(403);
        expect(response.body.type).toBe(`${TYPE}cannot-change-own-access`);
      }
      const [row] = await t.sql<{ role: string; disabled: boolean }>('SELECT role, disabled FROM users WHERE id = $1', [admin.user.id]);
      expect(row).toEqual({ role: 'admin', disabled: false });
      expect((await t.api.patch(`/v1/users/${admin.user.id}`, { role: 'admin', disabled: false }, { token: admin.accessToken })).status).toBe(200);
    });

    it('validate the patch body: unknown fields and bad values are 400, an unknown user 404', async () => {
      const bad = await t.api.patch(`/v1/users/${user.user.id}`, { role: 'root', disabled: 'yes', email: 'x@example.com' }, { token: admin.accessToken });
      expect(bad.status).toBe(400);
      expect(new Set(fieldsOf(bad.body))).toEqual(new Set(['role', 'disabled', 'email']));
      const unknown = await t.api.patch('/v1/users/00000000-0000-7000-8000-000000000000', { disabled: true }, { token: admin.accessToken });
      expect(unknown.status).toBe(404);
      const malformed = await t.api.patch('/v1/users/nope', { disabled: true }, { token: admin.accessToken });
      expect(malformed.status).toBe(404);
    });

    it('delete an account: its tokens stop working at once; a second delete is 404', async () => {
      const doomed = await registerUser(t.api);
      expect((await me(doomed.accessToken)).status).toBe(200);
      const response = await t.api.delete(`/v1/users/${doomed.user.id}`, { token: admin.accessToken });
      expect(response.status).toBe(204);
      expect((await me(doomed.accessToken)).status).toBe(401);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: doomed.refreshToken })).status).toBe(401);
      expect((await t.api.delete(`/v1/users/${doomed.user.id}`, { token: admin.accessToken })).status).toBe(404);
      expect((await t.api.delete('/v1/users/nope', { token: admin.accessToken })).status).toBe(404);
    });
  });
});
