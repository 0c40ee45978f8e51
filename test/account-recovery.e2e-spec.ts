import { loginUser, registerUser, uniqueEmail } from './helpers/auth';
import { MailCatcher, mailEnv } from './helpers/mail-catcher';
import { startTestApp, useTestApp, type TestApp } from './helpers/test-app';

/**
 * Account recovery through a real SMTP server in this process: every link is followed from the
 * mail the server received, as a user would.
 */
const catcher = new MailCatcher();

beforeAll(async () => {
  await catcher.start();
});
afterAll(async () => {
  await catcher.stop();
});

describe('account recovery (e2e)', () => {
  const t = useTestApp(() => ({ ...mailEnv(catcher), AUTH_RATE_LIMIT_MAX: '1000', AUTH_REGISTER_IP_MAX: '1000', PASSWORD_RESET_TTL_SECONDS: '60' }));

  describe('forgot and reset password', () => {
    it('answers an unknown and a known email alike, and mails only the known one a single-use link', async () => {
      const known = await registerUser(t.api);
      const unknown = uniqueEmail('nobody');
      const forKnown = await t.api.post('/v1/auth/password/forgot', { email: known.email.toUpperCase() });
      const forUnknown = await t.api.post('/v1/auth/password/forgot', { email: unknown });
      expect(forKnown.status).toBe(202);
      expect(forUnknown.status).toBe(202);
      expect(forKnown.text).toBe(forUnknown.text);
      expect(forKnown.headers.get('cache-control')).toBe('no-store');

      const mail = await catcher.waitFor(known.email, /Reset your Taskwright password/);
      expect(mail.link).toMatch(/^https:\/\/app\.example\.test\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
      expect(mail.html).toContain(mail.link);
      expect(mail.from).toContain('no-reply@taskwright.localhost');
      expect(catcher.to(unknown)).toEqual([]);
      // Only a hash of the token is stored, and the queued mail keeps no readable link.
      const stored = await t.sql<{ text: string }>(
        `SELECT row_to_json(a)::text AS text FROM account_tokens a UNION ALL SELECT payload::text FROM outbox_events`,
      );
      for (const row of stored) expect(row.text).not.toContain(mail.token);
    });

    it('takes about as long for an unknown email as for a known one', async () => {
      const known = await registerUser(t.api);
      const time = async (email: string): Promise<number> => {
        const started = performance.now();
        expect((await t.api.post('/v1/auth/password/forgot', { email })).status).toBe(202);
        return performance.now() - started;
      };
      const knownTimes: number[] = [];
      const unknownTimes: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        knownTimes.push(await time(known.email));
        unknownTimes.push(await time(uniqueEmail('nobody')));
      }
      // Both sit on the same floor (250 ms plus jitter): neither answers early.
      for (const ms of [...knownTimes, ...unknownTimes]) expect(ms).toBeGreaterThanOrEqual(240);
    });

    it('sets the password, ends every session, mails a notice; the token then is spent', async () => {
      const user = await registerUser(t.api);
      const second = await loginUser(t.api, user.email, user.password);
      expect((await t.api.post('/v1/auth/password/forgot', { email: user.email })).status).toBe(202);
      const { token } = await catcher.waitFor(user.email, /Reset your Taskwright password/);

      const reset = await t.api.post('/v1/auth/password/reset', { token, newPassword: 'a brand new passphrase' });
      expect(reset.status).toBe(204);
      for (const accessToken of [user.accessToken, second.accessToken]) expect((await t.api.get('/v1/users/me', { token: accessToken })).status).toBe(401);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(401);
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: user.password })).status).toBe(401);
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: 'a brand new passphrase' })).status).toBe(200);
      await catcher.waitFor(user.email, /password was changed/);
      const [row] = await t.sql<{ reasons: string[] }>(
        `SELECT array_agg(DISTINCT revoked_reason) AS reasons FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`,
        [user.user.id],
      );
      expect(row?.reasons).toEqual(['password-reset']);

      const again = await t.api.post('/v1/auth/password/reset', { token, newPassword: 'yet another passphrase' });
      expect(again.status).toBe(400);
      expect(again.body.type).toBe('https://taskwright.dev/problems/invalid-token');
    });

    it('voids an older token when a newer one is issued, and refuses an expired one', async () => {
      const user = await registerUser(t.api);
      await t.api.post('/v1/auth/password/forgot', { email: user.email });
      const first = await catcher.waitFor(user.email, /Reset your Taskwright password/);
      await t.api.post('/v1/auth/password/forgot', { email: user.email });
      const second = await catcher.waitFor(user.email, /Reset your Taskwright password/, { count: 2 });
      expect(second.token).not.toBe(first.token);
      const superseded = await t.api.post('/v1/auth/password/reset', { token: first.token, newPassword: 'a brand new passphrase' });
      expect(superseded.status).toBe(400);
      expect(superseded.body.type).toBe('https://taskwright.dev/problems/invalid-token');

      await t.sql(`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.user.id]);
      const expired = await t.api.post('/v1/auth/password/reset', { token: second.token, newPassword: 'a brand new passphrase' });
      expect(expired.status).toBe(400);
      expect(expired.body.type).toBe('https://taskwright.dev/problems/invalid-token');
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    });

    it('refuses a malformed token as invalid input', async () => {
      const response = await t.api.post('/v1/auth/password/reset', { token: 'short', newPassword: 'a brand new passphrase' });
      expect(response.status).toBe(400);
      expect(response.body.type).toBe('https://taskwright.dev/problems/validation-failed');
    });
  });

  describe('email verification', () => {
    it('mails a link at registration that verifies the address once', async () => {
      const user = await registerUser(t.api);
      expect(user.user.emailVerified).toBe(false);
      const mail = await catcher.waitFor(user.email, /Confirm your email address/);
      expect(mail.link).toMatch(/^https:\/\/app\.example\.test\/verify-email\?token=/);
      expect((await t.api.post('/v1/auth/email/verify', { token: mail.token })).status).toBe(204);
      expect((await t.api.get('/v1/users/me', { token: user.accessToken })).body.emailVerified).toBe(true);
      const again = await t.api.post('/v1/auth/email/verify', { token: mail.token });
      expect(again.status).toBe(400);
      expect(again.body.type).toBe('https://taskwright.dev/problems/invalid-token');
    });

    it('resends a new link that voids the first; nothing once verified', async () => {
      const user = await registerUser(t.api);
      const first = await catcher.waitFor(user.email, /Confirm your email address/);
      expect((await t.api.post('/v1/auth/email/verify/resend', undefined, { token: user.accessToken })).status).toBe(202);
      const second = await catcher.waitFor(user.email, /Confirm your email address/, { count: 2 });
      expect((await t.api.post('/v1/auth/email/verify', { token: first.token })).status).toBe(400);
      expect((await t.api.post('/v1/auth/email/verify', { token: second.token })).status).toBe(204);
      expect((await t.api.post('/v1/auth/email/verify/resend', undefined, { token: user.accessToken })).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(catcher.to(user.email).filter((mail) => /Confirm your email address/.test(mail.subject))).toHaveLength(2);
      expect((await t.api.post('/v1/auth/email/verify/resend')).status).toBe(401);
    });
  });

  describe('email change', () => {
    it('mails the new address a link and the old one a notice; changes on confirmation and ends the other sessions', async () => {
      const user = await registerUser(t.api);
      const other = await loginUser(t.api, user.email, user.password);
      const newEmail = uniqueEmail('moved');
      const wrong = await t.api.post('/v1/users/me/email', { newEmail, currentPassword: 'not the password' }, { token: user.accessToken });
      expect(wrong.status).toBe(400);
      expect(wrong.body.type).toBe('https://taskwright.dev/problems/wrong-current-password');

      const asked = await t.api.post('/v1/users/me/email', { newEmail, currentPassword: user.password }, { token: user.accessToken });
      expect(asked.status).toBe(202);
      const confirm = await catcher.waitFor(newEmail, /Confirm your new email address/);
      expect(confirm.link).toMatch(/^https:\/\/app\.example\.test\/confirm-email\?token=/);
      const notice = await catcher.waitFor(user.email, /about to change/);
      expect(notice.text).toContain(newEmail);
      expect(notice.link).toBeUndefined();
      // Nothing changed yet.
      expect((await t.api.get('/v1/users/me', { token: user.accessToken })).body.email).toBe(user.email);

      // Someone else's token, even a valid one, is not the caller's.
      const stranger = await registerUser(t.api);
      expect((await t.api.post('/v1/users/me/email/confirm', { token: confirm.token }, { token: stranger.accessToken })).status).toBe(400);

      const confirmed = await t.api.post('/v1/users/me/email/confirm', { token: confirm.token }, { token: user.accessToken });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({ id: user.user.id, email: newEmail, emailVerified: true });
      expect((await t.api.get('/v1/users/me', { token: other.accessToken })).status).toBe(401);
      expect((await t.api.get('/v1/users/me', { token: user.accessToken })).status).toBe(200);
      expect((await t.api.post('/v1/auth/login', { email: newEmail.toUpperCase(), password: user.password })).status).toBe(200);
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: user.password })).status).toBe(401);
      const reused = await t.api.post('/v1/users/me/email/confirm', { token: confirm.token }, { token: user.accessToken });
      expect(reused.body.type).toBe('https://taskwright.dev/problems/invalid-token');
    });

    it('keeps addresses unique without telling the caller: the owner of the taken address is told instead', async () => {
      const owner = await registerUser(t.api);
      const user = await registerUser(t.api);
      const asked = await t.api.post(
        '/v1/users/me/email',
        { newEmail: ` ${owner.email.toUpperCase()} `, currentPassword: user.password },
        { token: user.accessToken },
      );
      const free = await t.api.post('/v1/users/me/email', { newEmail: uniqueEmail('free'), currentPassword: user.password }, { token: user.accessToken });
      expect(asked.status).toBe(202);
      expect(asked.text).toBe(free.text);
      await catcher.waitFor(owner.email, /tried to use this address/);
      // No confirmation link reaches anyone: the address stays with its owner.
      expect(catcher.mails.filter((mail) => /Confirm your new email address/.test(mail.subject) && mail.to.includes(owner.email))).toEqual([]);
    });

    it('refuses a confirmation when another account took the address meanwhile', async () => {
      const user = await registerUser(t.api);
      const newEmail = uniqueEmail('race');
      await t.api.post('/v1/users/me/email', { newEmail, currentPassword: user.password }, { token: user.accessToken });
      const { token } = await catcher.waitFor(newEmail, /Confirm your new email address/);
      await registerUser(t.api, { email: newEmail });
      const response = await t.api.post('/v1/users/me/email/confirm', { token }, { token: user.accessToken });
      expect(response.status).toBe(409);
      expect(response.body.type).toBe('https://taskwright.dev/problems/email-taken');
    });
  });

  it('counts the mails and their outbox in the metrics', async () => {
    const metrics = (await t.api.get('/metrics', { skipOpenApiCheck: true })).text;
    expect(metrics).toMatch(/outbox_events_total\{topic="mail",result="queued"\} [1-9]/);
    expect(metrics).toMatch(/outbox_events_total\{topic="mail",result="sent"\} [1-9]/);
    expect(metrics).toMatch(/outbox_oldest_pending_age_seconds \d/);
  });
});

describe('recovery routes under their rate limits (e2e)', () => {
  const t = useTestApp(() => ({ ...mailEnv(catcher), AUTH_RATE_LIMIT_MAX: '2', AUTH_REGISTER_IP_MAX: '1000' }));

  it('limits forgot-password per email, the same for an unknown one', async () => {
    for (const email of [uniqueEmail('limited'), (await registerUser(t.api)).email]) {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await t.api.post('/v1/auth/password/forgot', { email })).status);
      expect(statuses).toEqual([202, 202, 429]);
    }
  });
});

describe('verified email required for writes (e2e)', () => {
  const t = useTestApp(() => ({ ...mailEnv(catcher), REQUIRE_VERIFIED_EMAIL_FOR_WRITES: 'true' }));

  it('refuses task writes until the address is verified; reads stay open', async () => {
    const user = await registerUser(t.api);
    const refused = await t.api.post('/v1/tasks', { title: 'first' }, { token: user.accessToken });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('https://taskwright.dev/problems/email-not-verified');
    expect((await t.api.get('/v1/tasks', { token: user.accessToken })).status).toBe(200);
    const { token } = await catcher.waitFor(user.email, /Confirm your email address/);
    expect((await t.api.post('/v1/auth/email/verify', { token })).status).toBe(204);
    expect((await t.api.post('/v1/tasks', { title: 'first' }, { token: user.accessToken })).status).toBe(201);
  });
});

describe('production without SMTP_URL (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('still registers, but the recovery routes answer 503 mail-unavailable', async () => {
    const user = await registerUser(t.api);
    const forgot = await t.api.post('/v1/auth/password/forgot', { email: user.email });
    expect(forgot.status).toBe(503);
    expect(forgot.body.type).toBe('https://taskwright.dev/problems/mail-unavailable');
    expect(forgot.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await t.api.post('/v1/users/me/email', { newEmail: uniqueEmail(), currentPassword: user.password }, { token: user.accessToken })).status).toBe(503);
    expect(await t.sql('SELECT 1 FROM outbox_events')).toEqual([]);
  });
});
