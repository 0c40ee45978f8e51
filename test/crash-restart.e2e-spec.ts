import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loginUser, registerUser } from './helpers/auth';
import { buildServer, freePort, type ServerProcess, serverEnv, startServerProcess } from './helpers/server-process';
import { ApiClient } from './helpers/test-app';

/**
 * The embedded default survives crashes: the real server process (no DATABASE_URL) is killed with
 * SIGKILL, once leaving its PostgreSQL running as an orphan and once with PostgreSQL killed too
 * (a stale postmaster.pid), and each time the next start comes up ready with every acknowledged
 * write still there.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('crash and restart on the embedded PostgreSQL (e2e)', () => {
  let build: { dir: string; remove(): void } | undefined;
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    build = await buildServer();
    dataDir = mkdtempSync(join(tmpdir(), 'taskwright-crash-'));
    // Traversable, so that as root (PostgreSQL then runs as `postgres`) the data stays where asked.
    chmodSync(dataDir, 0o755);
    env = serverEnv({ NODE_ENV: 'development', EMBEDDED_PG_DIR: join(dataDir, 'pgdata'), EMBEDDED_PG_PORT: String(await freePort()) });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    // Whatever a failed test left running on this data directory goes too.
    const pid = postmasterPid();
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    build?.remove();
  }, 60_000);

  function postmasterPid(): number | undefined {
    try {
      const pid = Number.parseInt(readFileSync(join(dataDir, 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async function kill(target: ServerProcess): Promise<void> {
    target.child.kill('SIGKILL');
    await target.exited;
  }

  it('comes back after SIGKILL, with or without its PostgreSQL, and keeps every acknowledged write', async () => {
    server = await startServerProcess(build?.dir ?? '', env);
    let api = new ApiClient(server.baseUrl);
    const user = await registerUser(api);
    const created = await api.post('/v1/tasks', { title: 'written before the crash' }, { token: user.accessToken });
    expect(created.status).toBe(201);

    // 1. Only Node dies: its PostgreSQL lives on as an orphan holding the data directory.
    const orphan = postmasterPid();
    expect(orphan).toBeDefined();
    await kill(server);
    expect(alive(orphan ?? 0)).toBe(true);
    server = await startServerProcess(build?.dir ?? '', env);
    api = new ApiClient(server.baseUrl);
    let session = await loginUser(api, user.email, user.password);
    const afterFirstCrash = await api.get('/v1/tasks', { token: session.accessToken });
    expect(afterFirstCrash.status).toBe(200);
    expect(afterFirstCrash.body.data.map((task: { id: string }) => task.id)).toEqual([created.body.id]);
    const second = await api.post('/v1/tasks', { title: 'written between the crashes' }, { token: session.accessToken });
    expect(second.status).toBe(201);

    // 2. Node and PostgreSQL both die: postmaster.pid is left behind, naming a dead process.
    const postmaster = postmasterPid();
    expect(postmaster).toBeDefined();
    await kill(server);
    process.kill(postmaster ?? 0, 'SIGKILL');
    await waitUntil(() => !alive(postmaster ?? 0), 'PostgreSQL to die');
    expect(postmasterPid()).toBe(postmaster); // stale
    server = await startServerProcess(build?.dir ?? '', env);
    api = new ApiClient(server.baseUrl);
    session = await loginUser(api, user.email, user.password);
    const afterSecondCrash = await api.get('/v1/tasks', { token: session.accessToken });
    expect(afterSecondCrash.status).toBe(200);
    expect(afterSecondCrash.body.data.map((task: { id: string }) => task.id).sort()).toEqual([created.body.id, second.body.id].sort());

    // A clean stop takes PostgreSQL down with it.
    const last = postmasterPid();
    await server.stop();
    server = undefined;
    await waitUntil(() => !alive(last ?? 0), 'PostgreSQL to stop with the service');
  }, 240_000);
});
