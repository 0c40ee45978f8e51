import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerUser } from './helpers/auth';
import { MailCatcher } from './helpers/mail-catcher';
import { buildServer, type ServerProcess, serverEnv, startServerProcess } from './helpers/server-process';
import { ApiClient, createTestDatabase } from './helpers/test-app';

/**
 * A mail whose transaction committed survives a crash of the service (SIGKILL, no shutdown hook)
 * while SMTP is down, and leaves exactly once from the next process.
 */
describe('outbox across a crash of the service (e2e, compiled)', () => {
  const catcher = new MailCatcher();
  let build: { dir: string; remove(): void } | undefined;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let server: ServerProcess | undefined;
  let sql: Client;
  // Kept across the restart, as a deployment keeps it: queued mail bodies are sealed under a key derived from it.
  const jwtSecret = `crash-spec-${'x'.repeat(40)}`;

  beforeAll(async () => {
    build = await buildServer();
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await catcher.start();
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await sql?.end().catch(() => undefined);
    await catcher.stop();
    await database?.drop();
    build?.remove();
  }, 60_000);

  function start(): Promise<ServerProcess> {
    return startServerProcess(
      build?.dir ?? '',
      serverEnv({
        DATABASE_URL: database?.url ?? '',
        MIGRATIONS_RUN: 'true',
        SMTP_URL: catcher.url,
        PUBLIC_APP_URL: 'https://app.example.test',
        SMTP_TIMEOUT_MS: '1000',
        OUTBOX_POLL_INTERVAL_MS: '100',
        OUTBOX_RETRY_BASE_MS: '200',
        OUTBOX_RETRY_MAX_MS: '1000',
        LOG_LEVEL: 'warn',
        JWT_SECRET: jwtSecret,
      }),
    );
  }

  it('delivers, after a SIGKILL with SMTP down, every committed mail once', async () => {
    await catcher.stop();
    server = await start();
    const api = new ApiClient(server.baseUrl);
    const user = await registerUser(api);
    await sql.connect();
    // The worker has tried (and failed) at least once before the crash.
    for (let i = 0; i < 100; i += 1) {
      const { rows } = await sql.query<{ last_error: string | null }>(`SELECT last_error FROM outbox_events WHERE payload->>'to' = $1`, [user.email]);
      if (rows[0]?.last_error) break;
      await sleep(100);
    }
    server.child.kill('SIGKILL');
    await server.exited;
    server = undefined;
    const { rows } = await sql.query<{ status: string }>(`SELECT status FROM outbox_events WHERE payload->>'to' = $1`, [user.email]);
    expect(rows.map((row) => row.status)).toEqual(['pending']);

    await catcher.start();
    server = await start();
    const mail = await catcher.waitFor(user.email, /Confirm your email address/, { timeoutMs: 30_000 });
    await sleep(1500);
    expect(catcher.to(user.email)).toHaveLength(1);
    const fresh = new ApiClient(server.baseUrl);
    expect((await fresh.post('/v1/auth/email/verify', { token: mail.token })).status).toBe(204);
  }, 180_000);
});
