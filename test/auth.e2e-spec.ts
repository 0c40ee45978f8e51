import { canonicalEmail } from '../src/users/canonical-email';
import { craftJwt, decodeAccessToken, loginUser, registerUser, type TokenResponseJson, uniqueEmail } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

const PROBLEM = /^application\/problem\+json/;
const TYPE = 'https://taskwright.dev/problems/';

describe('auth (e2e)', () => {
  // Many registrations and logins from one address: lift the strict limit (tested in auth-rate-limit).
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '10000' });

  const me = (token: string) => t.api.get('/v1/users/me', { token });

  describe('register, login, refresh, reuse detection, logout', () => {
    it('registers with 201, a Location, a Bearer token pair and the public user only', async () => {
      const email = uniqueEmail('story');
      const response = await t.api.post<TokenResponseJson>('/v1/auth/register', { email: `  ${email}  `, password: 'correct horse battery', name: ' Ada ' });
      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe('/v1/users/me');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = response.body;
      expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user']);
      expect(body.tokenType).toBe('Bearer');
      expect(body.expiresIn).toBe(900);
      expect(Object.keys(body.user).sort()).toEqual(['createdAt', 'disabled', 'email', 'emailVerified', 'id', 'name', 'role', 'updatedAt']);
      expect(body.user).toMatchObject({ email, name: 'Ada', role: 'user', disabled: false, emailVerified: false });
      expect(body.user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(response.text).not.toMatch(/argon2|passwordHash|correct horse/);

      const claims = decodeAccessToken(body.accessToken);
      expect(claims).toMatchObject({ sub: body.user.id, role: 'user', iss: 'taskwright', aud: 'taskwright-api' });
      expect(claims.exp - claims.iat).toBe(900);
      expect(body.refreshToken.startsWith(`${claims.sid}.`)).toBe(true);

      const [stored] = await t.sql<{ password_hash: string; email: string }>('SELECT password_hash, email FROM users WHERE id = $1', [body.user.id]);
      expect(stored?.email).toBe(email);
      expect(stored?.password_hash).toMatch(/^\$argon2id\$/);
      const [session] = await t.sql<{ refresh_token_hash: Buffer; user_id: string }>('SELECT refresh_token_hash, user_id FROM sessions WHERE id = $1', [
        claims.sid,
      ]);
      expect(session?.user_id).toBe(body.user.id);
      expect(session?.refresh_token_hash).toHaveLength(32);
      expect(session?.refresh_token_hash.toString('latin1')).not.toContain(body.refreshToken.split('.')[1]);

      expect((await me(body.accessToken)).body).toEqual(body.user);
    });

    it('rotates refresh tokens, revokes the whole family when a spent one comes back, and logs out', async () => {
      const registered = await registerUser(t.api);
      const login = await loginUser(t.api, registered.email.toUpperCase(), registered.password);
      expect(login.user.id).toBe(registered.user.id);
      const loginSid = decodeAccessToken(login.accessToken).sid;
      expect((await me(login.accessToken)).status).toBe(200);

      const refreshed = await t.api.post<TokenResponseJson>('/v1/auth/refresh', { refreshToken: login.refreshToken });
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers.get('cache-control')).toBe('no-store');
      expect(refreshed.body.tokenType).toBe('Bearer');
      expect(refreshed.body.user.id).toBe(registered.user.id);
      expect(refreshed.body.refreshToken).not.toBe(login.refreshToken);
      expect(decodeAccessToken(refreshed.body.accessToken).sid).toBe(loginSid);
      expect((await me(refreshed.body.accessToken)).status).toBe(200);

      // The spent token comes back: theft. 401, and the session family is revoked.
      const reused = await t.api.post('/v1/auth/refresh', { refreshToken: login.refreshToken });
      expect(reused.status).toBe(401);
      expect(reused.headers.get('content-type')).toMatch(PROBLEM);
      expect(reused.body.type).toBe(`${TYPE}token-reuse-detected`);

      const newer = await t.api.post('/v1/auth/refresh', { refreshToken: refreshed.body.refreshToken });
      expect(newer.status).toBe(401);
      expect(newer.body.type).toBe(`${TYPE}invalid-refresh-token`);
      for (const token of [login.accessToken, refreshed.body.accessToken]) {
        const refused = await me(token);
        expect(refused.status).toBe(401);
        expect(refused.body.type).toBe(`${TYPE}session-revoked`);
      }
      const [family] = await t.sql<{ revoked_reason: string; rotation_count: number }>('SELECT revoked_reason, rotation_count FROM sessions WHERE id = $1', [
        loginSid,
      ]);
      expect(family).toEqual({ revoked_reason: 'refresh-token-reuse', rotation_count: 1 });

      // The registration's session is another family: untouched.
      expect((await me(registered.accessToken)).status).toBe(200);

      const logout = await t.api.post('/v1/auth/logout', undefined, { token: registered.accessToken });
      expect(logout.status).toBe(204);
      expect(logout.text).toBe('');
      expect((await me(registered.accessToken)).status).toBe(401);
      const afterLogout = await t.api.post('/v1/auth/refresh', { refreshToken: registered.refreshToken });
      expect(afterLogout.status).toBe(401);
      expect(afterLogout.body.type).toBe(`${TYPE}invalid-refresh-token`);
      expect((await t.api.post('/v1/auth/logout', undefined, { token: registered.accessToken })).status).toBe(401);
    });

    it('lets exactly one of several concurrent refreshes with the same token succeed', async () => {
      const { refreshToken } = await registerUser(t.api);
      const attempts = await Promise.all(Array.from({ length: 5 }, () => t.api.post<TokenResponseJson>('/v1/auth/refresh', { refreshToken })));
      const statuses = attempts.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 401, 401, 401, 401]);
      const sid = refreshToken.split('.')[0];
      const [row] = await t.sql<{ rotation_count: number }>('SELECT rotation_count FROM sessions WHERE id = $1', [sid]);
      expect(row?.rotation_count).toBe(1);
    });

    it('refuses refresh tokens that were never issued', async () => {
      const { refreshToken } = await registerUser(t.api);
      const [sid, secret = ''] = refreshToken.split('.');
      const forgedSecret = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
      for (const candidate of ['garbage', `00000000-0000-7000-8000-000000000000.${secret}`]) {
        const response = await t.api.post('/v1/auth/refresh', { refreshToken: candidate });
        expect(response.status).toBe(401);
        expect(response.body.type).toBe(`${TYPE}invalid-refresh-token`);
      }
      // A secret never issued for this session is a guess, not a reuse: refused, the session left alone.
      const forged = await t.api.post('/v1/auth/refresh', { refreshToken: `${sid}.${forgedSecret}` });
      expect(forged.status).toBe(401);
      expect(forged.body.type).toBe(`${TYPE}invalid-refresh-token`);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken })).status).toBe(200);
      const missing = await t.api.post('/v1/auth/refresh', {});
      expect(missing.status).toBe(400);
      expect(missing.body.errors.map((e: { field: string }) => e.field)).toContain('refreshToken');
    });
  });

  describe('access tokens', () => {
    let user: Awaited<ReturnType<typeof registerUser>>;
    let claims: ReturnType<typeof decodeAccessToken>;
    beforeAll(async () => {
      user = await registerUser(t.api);
      claims = decodeAccessToken(user.accessToken);
    });

    const expectUnauthorized = async (token: string | undefined, type: string, headers: Record<string, string> = {}) => {
      const response = await t.api.get('/v1/users/me', { token, headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(PROBLEM);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.body).toMatchObject({ type: `${TYPE}${type}`, status: 401, instance: '/v1/users/me' });
      return response;
    };

    it('accepts the genuine token', async () => {
      expect((await me(user.accessToken)).status).toBe(200);
    });

    it('refuses a request without a token, and a malformed Authorization header', async () => {
      const missing = await expectUnauthorized(undefined, 'missing-token');
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      await expectUnauthorized(undefined, 'missing-token', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
      await expectUnauthorized('not-a-jwt', 'invalid-token');
    });

    it('refuses a tampered payload (role raised to admin)', async () => {
      const [header, , signature] = user.accessToken.split('.');
      const payload = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
      await expectUnauthorized(`${header}.${payload}.${signature}`, 'invalid-token');
    });

    it('refuses an expired token even when it is correctly signed', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 3600, exp: now - 60 }, t.config.jwtSecret);
      await expectUnauthorized(expired, 'token-expired');
    });

    it('refuses a token signed with another secret', async () => {
      const forged = craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims }, 'some-other-secret-that-is-long-enough-123');
      await expectUnauthorized(forged, 'invalid-token');
    });

    it('refuses alg none and algorithms other than HS256, even signed with the right secret', async () => {
      await expectUnauthorized(craftJwt({ alg: 'none', typ: 'JWT' }, { ...claims }, ''), 'invalid-token');
      await expectUnauthorized(craftJwt({ alg: 'HS512', typ: 'JWT' }, { ...claims }, t.config.jwtSecret), 'invalid-token');
    });

    it('refuses tokens of another issuer or audience, or without our claims', async () => {
      await expectUnauthorized(craftJwt({ alg: 'HS256' }, { ...claims, iss: 'someone-else' }, t.config.jwtSecret), 'invalid-token');
      await expectUnauthorized(craftJwt({ alg: 'HS256' }, { ...claims, aud: 'another-api' }, t.config.jwtSecret), 'invalid-token');
      const { sid: _sid, ...withoutSession } = claims;
      await expectUnauthorized(craftJwt({ alg: 'HS256' }, withoutSession, t.config.jwtSecret), 'invalid-token');
    });

    it('refuses a validly signed token whose session does not exist', async () => {
      const unknownSession = craftJwt({ alg: 'HS256' }, { ...claims, sid: '00000000-0000-7000-8000-000000000000' }, t.config.jwtSecret);
      await expectUnauthorized(unknownSession, 'session-revoked');
    });
  });

  describe('sessions', () => {
    it('lists the caller’s live sessions with the current one marked, and revokes one at once', async () => {
      const first = await registerUser(t.api);
      const second = await t.api.post<TokenResponseJson>(
        '/v1/auth/login',
        { email: first.email, password: first.password },
        { headers: { 'user-agent': 'SessionSpec/2.0' } },
      );
      const firstSid = decodeAccessToken(first.accessToken).sid;
      const secondSid = decodeAccessToken(second.body.accessToken).sid;

      const listed = await t.api.get('/v1/auth/sessions', { token: first.accessToken });
      expect(listed.status).toBe(200);
      expect(listed.headers.get('cache-control')).toBe('private, no-cache');
      expect(listed.body.data.map((s: { id: string }) => s.id)).toEqual([secondSid, firstSid]);
      const [newest, oldest] = listed.body.data;
      expect(newest).toMatchObject({ id: secondSid, userAgent: 'SessionSpec/2.0', current: false });
      expect(oldest).toMatchObject({ id: firstSid, current: true });
      expect(Object.keys(newest).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'id', 'lastUsedAt', 'userAgent']);

      expect((await me(second.body.accessToken)).status).toBe(200);
      const revoked = await t.api.delete(`/v1/auth/sessions/${secondSid}`, { token: first.accessToken });
      expect(revoked.status).toBe(204);
      expect((await me(second.body.accessToken)).status).toBe(401);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: second.body.refreshToken })).status).toBe(401);
      expect((await t.api.delete(`/v1/auth/sessions/${secondSid}`, { token: first.accessToken })).status).toBe(404);
      const remaining = await t.api.get('/v1/auth/sessions', { token: first.accessToken });
      expect(remaining.body.data.map((s: { id: string }) => s.id)).toEqual([firstSid]);
    });

    it('answers 404 for another user’s session and leaves it alive, and the same 404 for a malformed id', async () => {
      const alice = await registerUser(t.api);
      const bob = await registerUser(t.api);
      const bobSid = decodeAccessToken(bob.accessToken).sid;
      const attempt = await t.api.delete(`/v1/auth/sessions/${bobSid}`, { token: alice.accessToken });
      expect(attempt.status).toBe(404);
      expect(attempt.headers.get('content-type')).toMatch(PROBLEM);
      expect((await me(bob.accessToken)).status).toBe(200);

      const malformed = await t.api.delete('/v1/auth/sessions/not-a-uuid', { token: alice.accessToken });
      expect(malformed.status).toBe(404);
      expect({ ...malformed.body, instance: undefined, requestId: undefined }).toEqual({ ...attempt.body, instance: undefined, requestId: undefined });
    });

    it('revokes every other session with DELETE /sessions and keeps the current one', async () => {
      const current = await registerUser(t.api);
      const others = [await loginUser(t.api, current.email, current.password), await loginUser(t.api, current.email, current.password)];
      for (const other of others) expect((await me(other.accessToken)).status).toBe(200);
      const response = await t.api.delete('/v1/auth/sessions', { token: current.accessToken });
      expect(response.status).toBe(204);
      for (const other of others) {
        expect((await me(other.accessToken)).status).toBe(401);
        expect((await t.api.post('/v1/auth/refresh', { refreshToken: other.refreshToken })).status).toBe(401);
      }
      expect((await me(current.accessToken)).status).toBe(200);
      const listed = await t.api.get('/v1/auth/sessions', { token: current.accessToken });
      expect(listed.body.data).toHaveLength(1);
      expect(listed.body.data[0].current).toBe(true);
    });

    it('records when a session was last used, at most once a minute', async () => {
      const user = await registerUser(t.api);
      const sid = decodeAccessToken(user.accessToken).sid;
      await t.sql(`UPDATE sessions SET last_used_at = now() - interval '10 minutes' WHERE id = $1`, [sid]);
      const before = Date.now() - 1000;
      expect((await me(user.accessToken)).status).toBe(200);
      let lastUsed = 0;
      for (let i = 0; i < 50 && lastUsed < before; i += 1) {
        const [row] = await t.sql<{ last_used_at: Date }>('SELECT last_used_at FROM sessions WHERE id = $1', [sid]);
        lastUsed = row?.last_used_at.getTime() ?? 0;
        if (lastUsed < before) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(lastUsed).toBeGreaterThanOrEqual(before);
    });
  });

  describe('input rules', () => {
    it('rejects mass assignment of role at registration with 400 naming the field', async () => {
      const response = await t.api.post('/v1/auth/register', { email: uniqueEmail(), password: 'correct horse battery', name: 'Eve', role: 'admin' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(PROBLEM);
      expect(response.body.type).toBe(`${TYPE}validation-failed`);
      expect(response.body.errors).toEqual([{ field: 'role', message: 'unknown field role' }]);
    });

    it('lists every bad field of a registration', async () => {
      const response = await t.api.post('/v1/auth/register', { email: 'not-an-email', password: 'short', name: '' });
      expect(response.status).toBe(400);
      const fields = new Set(response.body.errors.map((e: { field: string }) => e.field));
      expect(fields).toEqual(new Set(['email', 'password', 'name']));
      const empty = await t.api.post('/v1/auth/register', {});
      expect(new Set(empty.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set(['email', 'password', 'name']));
    });

    it('enforces the password policy (10 to 128 characters) and the email and name limits', async () => {
      const register = (fields: Record<string, string>) =>
        t.api.post('/v1/auth/register', { email: uniqueEmail(), password: 'correct horse battery', name: 'Limits', ...fields });
      expect((await register({ password: 'x'.repeat(9) })).status).toBe(400);
      expect((await register({ password: 'x'.repeat(10) })).status).toBe(201);
      expect((await register({ password: 'x'.repeat(128) })).status).toBe(201);
      expect((await register({ password: 'x'.repeat(129) })).status).toBe(400);
      expect((await register({ name: 'n'.repeat(100) })).status).toBe(201);
      expect((await register({ name: 'n'.repeat(101) })).status).toBe(400);
      expect((await register({ name: '   ' })).status).toBe(400);
      const longEmail = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;
      expect(longEmail.length).toBeGreaterThan(254);
      const tooLong = await register({ email: longEmail });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.errors.map((e: { field: string }) => e.field)).toContain('email');
    });

    it('treats emails as unique case-insensitively (409) and logs in with any letter case', async () => {
      const email = uniqueEmail('Case');
      const first = await registerUser(t.api, { email });
      for (const variant of [email.toUpperCase(), email.toLowerCase(), `  ${email}  `]) {
        const duplicate = await t.api.post('/v1/auth/register', { email: variant, password: 'correct horse battery', name: 'Dup' });
        expect(duplicate.status).toBe(409);
        expect(duplicate.headers.get('content-type')).toMatch(PROBLEM);
        expect(duplicate.body.type).toBe(`${TYPE}email-taken`);
      }
      expect((await loginUser(t.api, email.toLowerCase(), first.password)).user.email).toBe(email);
      const [count] = await t.sql<{ n: string }>('SELECT count(*) AS n FROM users WHERE email_canonical = $1', [canonicalEmail(email)]);
      expect(count?.n).toBe('1');
    });

    it('creates one account when the same email registers twice at once', async () => {
      const email = uniqueEmail('race');
      const attempts = await Promise.all(
        [email, email.toUpperCase()].map((variant) => t.api.post('/v1/auth/register', { email: variant, password: 'correct horse battery', name: 'Race' })),
      );
      expect(attempts.map((response) => response.status).sort()).toEqual([201, 409]);
    });
  });

  describe('credentials', () => {
    it('gives a wrong password and an unknown email the same status and body', async () => {
      const user = await registerUser(t.api);
      const wrongPassword = await t.api.post('/v1/auth/login', { email: user.email, password: 'not the password' });
      const unknownEmail = await t.api.post('/v1/auth/login', { email: uniqueEmail('nobody'), password: 'not the password' });
      for (const response of [wrongPassword, unknownEmail]) {
        expect(response.status).toBe(401);
        expect(response.headers.get('content-type')).toMatch(PROBLEM);
      }
      const { requestId: _a, ...wrongBody } = wrongPassword.body;
      const { requestId: _b, ...unknownBody } = unknownEmail.body;
      expect(wrongBody).toEqual(unknownBody);
      expect(wrongBody).toEqual({
        type: `${TYPE}invalid-credentials`,
        title: 'Unauthorized',
        status: 401,
        detail: 'The email or password is wrong',
        instance: '/v1/auth/login',
      });
    });

    it('spends an argon2 verification on unknown emails too, so timing does not tell them apart', async () => {
      const user = await registerUser(t.api);
      const time = async (email: string) => {
        const started = process.hrtime.bigint();
        const response = await t.api.post('/v1/auth/login', { email, password: 'not the password' }, { skipOpenApiCheck: true });
        expect(response.status).toBe(401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        known.push(await time(user.email));
        unknown.push(await time(uniqueEmail('timing')));
      }
      // Without the dummy verification an unknown email answers in ~1 ms against tens of ms for a
      // real one; the bound is loose enough for a busy machine and still catches that.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.3);
    });

    it('refuses a disabled account: 403 with the right password, the usual 401 with a wrong one', async () => {
      const user = await registerUser(t.api);
      await t.sql('UPDATE users SET disabled = true WHERE id = $1', [user.user.id]);
      const right = await t.api.post('/v1/auth/login', { email: user.email, password: user.password });
      expect(right.status).toBe(403);
      expect(right.body.type).toBe(`${TYPE}account-disabled`);
      const wrong = await t.api.post('/v1/auth/login', { email: user.email, password: 'not the password' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.type).toBe(`${TYPE}invalid-credentials`);
    });

    it('validates the login body', async () => {
      const response = await t.api.post('/v1/auth/login', { email: 'nope', password: '', extra: 1 });
      expect(response.status).toBe(400);
      expect(new Set(response.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set(['email', 'password', 'extra']));
    });
  });

  describe('the OpenAPI document', () => {
    it('documents every auth route with its request schema, responses and the bearer scheme where needed', async () => {
      const doc = (await t.api.get('/docs-json', { skipOpenApiCheck: true })).body;
      const register = doc.paths['/v1/auth/register'].post;
      expect(register.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/RegisterDto');
      expect(Object.keys(register.responses)).toEqual(expect.arrayContaining(['201', '400', '409', '413', '415', '429', '500']));
      expect(register.responses['201'].headers.Location).toBeDefined();
      expect(register.security).toEqual([]); // public: an explicit empty requirement
      expect(Object.keys(doc.paths['/v1/auth/login'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429']));
      expect(doc.paths['/v1/auth/logout'].post.security).toEqual([{ bearer: [] }]);
      expect(Object.keys(doc.paths['/v1/auth/sessions/{id}'].delete.responses)).toEqual(expect.arrayContaining(['204', '401', '404']));

      const schemas = doc.components.schemas;
      expect(schemas.RegisterDto.required).toEqual(expect.arrayContaining(['email', 'password', 'name']));
      expect(schemas.RegisterDto.properties.password).toMatchObject({ minLength: 10, maxLength: 128 });
      expect(schemas.RegisterDto.properties.email).toMatchObject({ format: 'email', maxLength: 254 });
      expect(schemas.TokenResponseDto.properties.tokenType.enum).toEqual(['Bearer']);
      expect(schemas.TokenResponseDto.properties.accessToken.example).toBeDefined();
      expect(schemas.UserDto.properties.createdAt.format).toBe('date-time');
      expect(JSON.stringify(schemas.UserDto)).not.toMatch(/password/i);
    });
  });
});
