import { setTimeout as sleep } from 'node:timers/promises';
import { registerUser, loginUser } from './helpers/auth';
import { MailCatcher, mailEnv } from './helpers/mail-catcher';
import { describeIf } from './helpers/skip';
import { createTestDatabase, startTestApp, type TestApp } from './helpers/test-app';

/**
 * The outbox under failure: an SMTP outage delays mail and loses none, a restart with mail pending
 * delivers it, and two instances on one database never send one mail twice. TEST_SMTP_OUTAGE_MS
 * (default 3000) sets how long SMTP is cut; the figures of the run are printed.
 */
const OUTAGE_MS = Number(process.env.TEST_SMTP_OUTAGE_MS ?? 3000);
const redisUrl = process.env.TEST_REDIS_URL;
const itWithRedis = describeIf(redisUrl !== undefined, 'no Redis: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379)');

function sample(metrics: string, name: string, labels = ''): number {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name}${labels} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('outbox delivery under failure (e2e)', () => {
  const catcher = new MailCatcher();
  let database: { url: string; drop(): Promise<void> };
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  // One Redis key prefix for every instance of this spec, so they share session revocations.
  const redisKeyPrefix = `tw-outbox-${Date.now().toString(36)}:`;
  const env = (): Record<string, string> => ({
    ...mailEnv(catcher),
    AUTH_RATE_LIMIT_MAX: '1000',
    AUTH_REGISTER_IP_MAX: '1000',
    REDIS_KEY_PREFIX: redisKeyPrefix,
    // Fewer attempts than an outage of OUTAGE_MS takes: unanswered ones must not count.
    OUTBOX_MAX_ATTEMPTS: '2',
  });

  beforeAll(async () => {
    await catcher.start();
    database = await createTestDatabase();
    a = await startTestApp(env(), { databaseUrl: database.url });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await catcher.stop();
    await database?.drop();
  });

  it(`delays mail while SMTP is down (${OUTAGE_MS} ms), keeps readiness green, then delivers each mail once`, async () => {
    const app = a as TestApp;
    const user = await registerUser(app.api);
    await catcher.waitFor(user.email, /Confirm your email address/);
    await catcher.stop();
    const cutAt = Date.now();
    expect((await app.api.post('/v1/auth/password/forgot', { email: user.email })).status).toBe(202);
    await sleep(OUTAGE_MS);
    expect(catcher.to(user.email).filter((mail) => /Reset/.test(mail.subject))).toEqual([]);
    expect((await app.api.get('/health/ready')).status).toBe(200);
    const [pending] = await app.sql<{ attempts: number; last_error: string | null; status: string }>(
      `SELECT attempts, last_error, status FROM outbox_events WHERE payload->>'to' = $1 AND payload->>'subject' LIKE 'Reset%'`,
      [user.email],
    );
    expect(pending?.status).toBe('pending');
    // Attempts that got no answer are not counted: OUTBOX_MAX_ATTEMPTS (2) can never run out in an outage.
    expect(pending?.attempts).toBe(0);
    expect(pending?.last_error).toBeTruthy();
    const during = (await app.api.get('/metrics', { skipOpenApiCheck: true })).text;
    expect(sample(during, 'outbox_pending_events')).toBeGreaterThanOrEqual(1);
    expect(sample(during, 'outbox_oldest_pending_age_seconds')).toBeGreaterThan(0);

    await catcher.start();
    const mail = await catcher.waitFor(user.email, /Reset your Taskwright password/, { timeoutMs: 30_000 });
    await sleep(1500);
    expect(catcher.to(user.email).filter((m) => m.messageId === mail.messageId)).toHaveLength(1);
    expect((await app.api.post('/v1/auth/password/reset', { token: mail.token, newPassword: 'after the outage' })).status).toBe(204);
    await waitFor(async () => {
      const text = (await app.api.get('/metrics', { skipOpenApiCheck: true })).text;
      return sample(text, 'outbox_events_total', '{topic="mail",result="sent"}') === sample(text, 'outbox_events_total', '{topic="mail",result="queued"}');
    }, 'every queued mail to be sent');
    const after = (await app.api.get('/metrics', { skipOpenApiCheck: true })).text;
    const figures = {
      outageMs: OUTAGE_MS,
      deliveredAfterMs: mail.receivedAt - cutAt,
      pendingDuringOutage: sample(during, 'outbox_pending_events'),
      oldestPendingAgeSecondsDuringOutage: sample(during, 'outbox_oldest_pending_age_seconds'),
      queued: sample(after, 'outbox_events_total', '{topic="mail",result="queued"}'),
      sent: sample(after, 'outbox_events_total', '{topic="mail",result="sent"}'),
      retried: sample(after, 'outbox_events_total', '{topic="mail",result="retried"}'),
      failed: sample(after, 'outbox_events_total', '{topic="mail",result="failed"}'),
    };
    process.stdout.write(`outbox figures: ${JSON.stringify(figures)}\n`);
    expect(figures.retried).toBeGreaterThanOrEqual(1);
    expect(figures.failed).toBe(0);
  }, 120_000);

  it('delivers the mail an instance left pending when it stopped, from the instance started after it', async () => {
    await catcher.stop();
    const first = a as TestApp;
    const user = await registerUser(first.api);
    expect((await first.api.post('/v1/auth/password/forgot', { email: user.email })).status).toBe(202);
    await sleep(500);
    await first.app.close();
    a = undefined;
    await catcher.start();
    await sleep(1000);
    // Nothing runs the outbox now: the mails wait in the database.
    expect(catcher.to(user.email)).toEqual([]);
    b = await startTestApp(env(), { databaseUrl: database.url });
    await catcher.waitFor(user.email, /Confirm your email address/, { timeoutMs: 30_000 });
    const reset = await catcher.waitFor(user.email, /Reset your Taskwright password/, { timeoutMs: 30_000 });
    expect((await b.api.post('/v1/auth/password/reset', { token: reset.token, newPassword: 'after the restart' })).status).toBe(204);
  }, 120_000);

  it('sends each mail once with two instances polling one outbox', async () => {
    const other = b as TestApp;
    a = await startTestApp(env(), { databaseUrl: database.url });
    await catcher.stop();
    // Mail piles up while SMTP is down, then both instances race for it.
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => registerUser((i % 2 === 0 ? a : other)?.api ?? other.api)));
    await sleep(500);
    await catcher.start();
    for (const user of users) await catcher.waitFor(user.email, /Confirm your email address/, { timeoutMs: 30_000 });
    await sleep(2000);
    const ids = catcher.mails.filter((mail) => users.some((user) => mail.to.includes(user.email))).map((mail) => mail.messageId);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  }, 120_000);

  itWithRedis('with Redis', () => {
    it('ends the sessions of a reset account on every instance', async () => {
      // Both instances above share the database; session revocations travel through Redis.
      const one = a as TestApp;
      const two = b as TestApp;
      const user = await registerUser(one.api);
      const elsewhere = await loginUser(two.api, user.email, user.password);
      for (const api of [one.api, two.api]) expect((await api.get('/v1/users/me', { token: elsewhere.accessToken })).status).toBe(200);
      expect((await two.api.post('/v1/auth/password/forgot', { email: user.email })).status).toBe(202);
      const { token } = await catcher.waitFor(user.email, /Reset your Taskwright password/);
      expect((await one.api.post('/v1/auth/password/reset', { token, newPassword: 'reset on one' })).status).toBe(204);
      for (const api of [one.api, two.api]) {
        expect((await api.get('/v1/users/me', { token: elsewhere.accessToken })).status).toBe(401);
        expect((await api.get('/v1/users/me', { token: user.accessToken })).status).toBe(401);
      }
    });
  });
});
