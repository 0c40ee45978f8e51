import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildServer, type ServerProcess, serverEnv, startServerProcess } from './helpers/server-process';
import { createTestDatabase } from './helpers/test-app';

/**
 * Graceful shutdown of the real server process (the compiled `src/main.js`), not of an app inside
 * Jest: SIGTERM while clients hammer it over keep-alive and fresh connections.
 */
const DRAIN_DELAY_MS = 800;
const SHUTDOWN_TIMEOUT_MS = 5000;

interface Outcome {
  path: string;
  client: string;
  requestId: string;
  /** the request went out on a kept-alive connection that had served an earlier one */
  reusedSocket: boolean;
  /** ms since the load started */
  sentAt: number;
  /** wall clock (Date.now()) when sent, comparable with the server's log timestamps */
  sentWall: number;
  endedAt: number;
  status?: number;
  connection?: string;
  body?: string;
  error?: string;
}

let requestCounter = 0;

/** One GET; resolves with the status and body, or with the socket error's code. */
function get(port: number, path: string, agent: Agent | false, started: number, client = 'probe'): Promise<Outcome> {
  const sentAt = performance.now() - started;
  const sentWall = Date.now();
  const requestId = `shutdown-spec-${process.pid}-${++requestCounter}`;
  return new Promise((done) => {
    const finish = (result: Omit<Outcome, 'path' | 'client' | 'requestId' | 'reusedSocket' | 'sentAt' | 'sentWall' | 'endedAt'>): void =>
      done({ path, client, requestId, reusedSocket: req.reusedSocket, sentAt, sentWall, endedAt: performance.now() - started, ...result });
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, timeout: 10_000, headers: { 'x-request-id': requestId } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish({ status: res.statusCode, connection: res.headers.connection, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('graceful shutdown of the server process (e2e)', () => {
  let build: { dir: string; remove(): void } | undefined;
  let database: { url: string; drop(): Promise<void> };
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    build = await buildServer();
    database = await createTestDatabase();
  }, 120_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await database?.drop();
    build?.remove();
  });

  function startServer(): Promise<ServerProcess> {
    if (!build) throw new Error('no build');
    return startServerProcess(
      build.dir,
      serverEnv({
        DATABASE_URL: database.url,
        MIGRATIONS_RUN: 'true',
        SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL, REDIS_KEY_PREFIX: `tw-test-${randomBytes(4).toString('hex')}:` } : {}),
      }),
    );
  }

  it('drains on SIGTERM: readiness 503, every accepted request answered, exit code 0 in time', async () => {
    server = await startServer();
    const { child, port } = server;
    const started = performance.now();
    const outcomes: Outcome[] = [];
    let stopLoad = false;
    let sigtermAt = Number.POSITIVE_INFINITY;

    // Keep-alive clients (connections reused across the drain) and clients opening a connection
    // per request. Each stops once the server refuses its connection, or after 15 s at most.
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const loop = async (client: string, path: string, agent: Agent | false, pauseMs: number): Promise<void> => {
      const until = performance.now() + 15_000;
      while (!stopLoad && performance.now() < until) {
        const outcome = await get(port, path, agent, started, client);
        outcomes.push(outcome);
        if (outcome.error === 'ECONNREFUSED') return;
        if (pauseMs > 0) await sleep(pauseMs);
      }
    };
    const loops = [
      ...[1, 2, 3].map((n) => loop(`keep-alive ${n}`, '/health/live', new Agent({ keepAlive: true, maxSockets: 1 }), 0)),
      loop('keep-alive paced', '/health/live', keepAlive, 5),
      ...[1, 2].map((n) => loop(`new connection ${n}`, '/health/live', false, 0)),
      loop('readiness', '/health/ready', false, 50),
    ];

    await sleep(500);
    sigtermAt = performance.now() - started;
    child.kill('SIGTERM');
    const exit = await server.exited;
    const exitAfterMs = exit.at - started - sigtermAt;
    await sleep(200); // let the last loops see the refusal
    stopLoad = true;
    await Promise.all(loops);
    keepAlive.destroy();

    const log = server.output.join('');
    const report = (list: Outcome[]): string => JSON.stringify(list.slice(0, 10), null, 1) + `\n--- server log tail ---\n${log.slice(-2000)}`;

    // The process finished by itself, cleanly, within drain delay + shutdown timeout.
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exitAfterMs).toBeLessThan(DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS);
    expect(exitAfterMs).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);

    const drainEnd = sigtermAt + DRAIN_DELAY_MS;
    // When the server began draining, by its own log (same clock as Date.now() here).
    const drainLine = /"time":"([^"]+)"[^\n]*"msg":"shutting down"/.exec(log);
    if (!drainLine?.[1]) throw new Error(`no "shutting down" in the server log:\n${log.slice(-2000)}`);
    const drainStartedWall = Date.parse(drainLine[1]);
    // Refused at connect time once the drain was over: either no listener any more (ECONNREFUSED),
    // or the connection was still in the kernel's accept queue when the listener closed (reset
    // before any response, on a fresh connection, and the server never saw the request).
    const refused = (o: Outcome): boolean =>
      o.endedAt >= drainEnd && (o.error === 'ECONNREFUSED' || (o.error === 'ECONNRESET' && !o.reusedSocket && !log.includes(`"${o.requestId}"`)));
    const live = outcomes.filter((o) => o.path === '/health/live');
    const ready = outcomes.filter((o) => o.path === '/health/ready');
    // Every request either got its 200, or was refused at connect time once the drain was over.
    const failed = live.filter((o) => o.status !== 200 && !refused(o));
    if (failed.length > 0) throw new Error(`${failed.length} of ${live.length} accepted requests failed:\n${report(failed)}`);
    expect(live.filter((o) => o.status === 200 && o.sentAt < sigtermAt).length).toBeGreaterThan(0);
    // The drain keeps serving, keep-alive clients included: requests sent after SIGTERM were answered,
    // and told to reconnect (so a load balancer can move them to another instance).
    const servedInDrain = live.filter((o) => o.status === 200 && o.sentWall > drainStartedWall);
    expect(servedInDrain.length).toBeGreaterThan(10);
    expect(servedInDrain.every((o) => o.connection === 'close')).toBe(true);
    expect(live.filter((o) => o.status === 200 && o.endedAt < sigtermAt).some((o) => o.connection === 'keep-alive')).toBe(true);
    expect(live.some((o) => o.error === 'ECONNREFUSED')).toBe(true);
    expect(log).not.toMatch(/closing anyway/);

    // Readiness: 200 until the drain begins, then 503 `shutting_down` (never 200 again).
    const readyStatuses = ready.filter((o) => o.status !== undefined);
    const readyBefore = readyStatuses.filter((o) => o.endedAt < sigtermAt);
    if (readyBefore.length === 0 || readyBefore.some((o) => o.status !== 200)) throw new Error(`not ready before SIGTERM:\n${report(readyBefore)}`);
    const readyDraining = readyStatuses.filter((o) => o.sentWall > drainStartedWall);
    if (readyDraining.length === 0 || readyDraining.some((o) => o.status !== 503 || !/"status":"shutting_down"/.test(o.body ?? ''))) {
      throw new Error(`readiness was not 503 shutting_down during the drain:\n${report(readyDraining)}`);
    }
    expect(readyStatuses.slice(readyStatuses.findIndex((o) => o.status === 503)).every((o) => o.status === 503)).toBe(true);
    const readyFailures = ready.filter((o) => o.status === undefined && !refused(o));
    if (readyFailures.length > 0) throw new Error(`readiness probes failed:\n${report(readyFailures)}`);

    expect(log).toMatch(/"msg":"shutting down"/);
    expect(log).toMatch(/"msg":"stopped"/);
  }, 90_000);

  it.each([
    {
      signal: 'SIGTERM',
      outcome: 'is ignored: the drain finishes, exit code 0',
      code: 0,
      logged: 'already shutting down: repeated signal ignored',
      stopped: true,
    },
    { signal: 'SIGINT', outcome: 'exits at once with code 130', code: 130, logged: 'second interrupt: exiting now', stopped: false },
  ] as const)('a second $signal during the drain $outcome', async ({ signal, code, logged, stopped }) => {
    server = await startServer();
    server.child.kill(signal);
    await sleep(DRAIN_DELAY_MS / 4);
    server.child.kill(signal);
    const exit = await server.exited;
    const log = server.output.join('');
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code, signal: null });
    expect(log).toContain(`"msg":"${logged}"`);
    expect(log.includes('"msg":"stopped"')).toBe(stopped);
  });
});
