import pino from 'pino';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerUser } from './helpers/auth';
import { startTestApp, type TestApp } from './helpers/test-app';

/**
 * Without SMTP_URL outside production, mail is written to the log. A file of its own: nestjs-pino
 * logs what happens outside a request (the outbox worker) through the root logger of the first app
 * a process starts, so the capturing logger must belong to that app.
 */
describe('development without SMTP_URL (e2e)', () => {
  const lines: string[] = [];
  let t: TestApp;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestApp({ NODE_ENV: 'development', LOG_LEVEL: 'info', OUTBOX_POLL_INTERVAL_MS: '100' }, { logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes each mail as one structured log line with its recipient and link, and no other line carries the token', async () => {
    const user = await registerUser(t.api);
    expect((await t.api.post('/v1/auth/password/forgot', { email: user.email })).status).toBe(202);
    let mailLine: { mail: { to: string; subject: string; link: string } } | undefined;
    for (let i = 0; i < 100 && mailLine === undefined; i += 1) {
      mailLine = lines
        .map((line) => JSON.parse(line) as { mail?: { to: string; subject: string; link: string } })
        .find((line): line is { mail: { to: string; subject: string; link: string } } => line.mail?.subject === 'Reset your Taskwright password');
      if (mailLine === undefined) await sleep(50);
    }
    expect(mailLine?.mail.to).toBe(user.email);
    expect(mailLine?.mail.link).toMatch(/^http:\/\/localhost:5173\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
    const token = new URL(mailLine?.mail.link ?? 'http://x').searchParams.get('token') ?? '';
    expect((await t.api.post('/v1/auth/password/reset', { token, newPassword: 'from the log line' })).status).toBe(204);
    expect(lines.filter((line) => line.includes(token))).toHaveLength(1);
  });
});
