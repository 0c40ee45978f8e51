/**
 * `npm run bench`: Taskwright against a bare Fastify + pg baseline, on the same database, same
 * machine, same data. See README.md (## Performance) and `npm run bench -- --help`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { createClient } from '@redis/client';
import { Client } from 'pg';
import { PRODUCTION_RUNTIME_ENV } from '../deploy/runtime-env';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { type Account, login, loginAll } from './lib/accounts';
import { againstTaskwright, type BenchOptions, parseOptions, versusLabel } from './lib/options';
import { checkParity } from './lib/parity';
import { runMicro } from './lib/micro';
import { runDeadlineMicro } from './lib/micro-deadlines';
import { analyseProfile } from './lib/profile';
import { progress } from './lib/progress';
import { type BenchReport, computeTargets, computeVersusTargets, type ParityFinding, renderConsole, renderMarkdown } from './lib/report';
import { type ComparisonResult, runComparison, RssSampler, type RunSettings } from './lib/runner';
import { buildComparisons, checkDeepCursor, deepCursor, type Fleet, type ScenarioContext, TaskPool } from './lib/scenarios';
import { BENCH_PASSWORD, cleanUpWrites, createdTaskTitle, deepOwnerEmail, ensureDataset, removeSessions, userEmail } from './lib/seed';
import { type ServerKind, ServerProcess, type ServerSpec, stopAllServers } from './lib/servers';
import { runLoad } from './lib/load';
import { loadSharingFixture } from './lib/sharing';
import { cycle, errorMessage, formatDuration, formatFixed, formatInt, sleep } from './lib/util';

/**
 * The compiled benchmark and app live in node_modules/.cache/taskwright-bench (see the `bench`
 * script): there ESLint, Jest's module map and git leave them alone, which bench/.build would not
 * be. Logs, the embedded database and SQL captures go there too; results and raw CPU profiles go
 * to bench/results.
 */
const BUILD = resolve(__dirname, '..');
const ROOT = BUILD.includes(`${sep}node_modules${sep}`) ? BUILD.slice(0, BUILD.indexOf(`${sep}node_modules${sep}`)) : process.cwd();
const RESULTS = join(ROOT, 'bench', 'results');
const TASKWRIGHT_ENTRY = join(BUILD, 'src', 'main.js');
const BASELINE_ENTRY = join(BUILD, 'bench', 'baseline', 'server.js');
const SQL_CAPTURE = join(BUILD, 'bench', 'lib', 'sql-capture.js');

interface Database {
  url: string;
  label: string;
  stop(): Promise<void>;
}

async function openDatabase(options: BenchOptions): Promise<Database> {
  if (options.databaseUrl !== undefined) {
    const url = new URL(options.databaseUrl);
    return { url: options.databaseUrl, label: `PostgreSQL server ${url.hostname}:${url.port || 5432}${url.pathname}`, stop: async () => undefined };
  }
  progress.update('starting the embedded PostgreSQL');
  const embedded = await startEmbeddedPostgres({
    dataDir: join(BUILD, 'pgdata'),
    port: options.embeddedPgPort,
    database: 'taskwright_bench',
    log: { info: (m) => progress.update(m), warn: (m) => progress.log(`warning: ${m}`) },
  });
  return { url: embedded.url, label: `embedded PostgreSQL on 127.0.0.1:${options.embeddedPgPort} (${embedded.dataDir})`, stop: embedded.stop };
}

async function serverVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    return rows[0]?.v ?? '?';
  } finally {
    await client.end();
  }
}

function gitCommit(root = ROOT): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'migrations'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return `${commit}${dirty ? ' + uncommitted changes in src/ or migrations/' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** What both servers are started with. Every deviation from production defaults is listed in the report. */
function serverEnvironment(options: BenchOptions, databaseUrl: string, jwtSecret: string): Record<string, string> {
  return {
    // The production image's Node and malloc settings (deploy/runtime-env.ts), for both servers.
    ...PRODUCTION_RUNTIME_ENV,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '10',
    MIGRATIONS_RUN: 'true',
    JWT_SECRET: jwtSecret,
    // Tokens must outlive a full run (15 to 20 minutes); production's default is 900.
    JWT_ACCESS_TTL_SECONDS: '3600',
    // The load clients are a handful of users sending thousands of requests a second: the limits
    // are raised so they never refuse, and the window is 1 s so the in-memory counters hold what a
    // client at production's 600/minute would leave in them (see the report's notes).
    RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_TTL_MS: '1000',
    AUTH_RATE_LIMIT_MAX: '1000000',
    AUTH_LOGIN_IP_FAILURE_MAX: '1000000',
    AUTH_REGISTER_IP_MAX: '1000000',
    AUTH_RATE_LIMIT_TTL_MS: '1000',
    LOG_LEVEL: options.logLevel,
    LOG_PRETTY: 'false',
    REDIS_KEY_PREFIX: options.redisKeyPrefix,
    ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
    BENCH_SQL_CAPTURE_FILE: '',
  };
}

/** `-r` preloads of the experiments (bench/experiments/*.ts, compiled next to this file). */
function experimentArgs(names: string[]): string[] {
  return names.flatMap((name) => {
    const file = join(BUILD, 'bench', 'experiments', `${name}.js`);
    if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) throw new Error(`no such experiment: ${name} (see bench/experiments/)`);
    return ['-r', file];
  });
}

/** Side B of the scenarios: the bare baseline; or Taskwright with an experiment (`--versus-experiment`; `none`: as it is), or built in another checkout (`--versus-build`). */
function sideB(options: BenchOptions, env: Record<string, string>, port: number, cache: boolean): ServerProcess {
  const ttl = cache ? '60000' : '0';
  const state = cache ? 'cache on' : 'cache off';
  if (options.versusBuild !== undefined) {
    const script = resolve(options.versusBuild, 'dist', 'src', 'main.js');
    if (!existsSync(script)) throw new Error(`--versus-build: no ${script} (run npm run build there)`);
    const server = spec(
      cache ? 'ref-cache' : 'ref-nocache',
      `${versusLabel(options)} (${state})`,
      'taskwright',
      port,
      { ...env, CACHE_TTL_MS: ttl, ...options.taskwrightEnv },
      experimentArgs(options.experiments),
    );
    return new ServerProcess({ ...server, script });
  }
  if (options.versus === undefined) {
    return new ServerProcess(spec(cache ? 'base-cache' : 'base-nocache', `baseline (${state})`, 'baseline', port, { ...env, CACHE_TTL_MS: ttl }));
  }
  const preloads = options.versus === 'none' ? options.experiments : [...options.experiments, options.versus];
  return new ServerProcess(
    spec(
      cache ? 'ref-cache' : 'ref-nocache',
      `${versusLabel(options)} (${state})`,
      'taskwright',
      port,
      { ...env, CACHE_TTL_MS: ttl, ...options.taskwrightEnv },
      experimentArgs(preloads),
    ),
  );
}

function spec(id: string, label: string, kind: ServerKind, port: number, env: Record<string, string>, extraArgs: string[] = []): ServerSpec {
  const sqlFile = join(BUILD, 'sql', `${id}.sql`);
  return {
    id,
    label,
    kind,
    script: kind === 'taskwright' ? TASKWRIGHT_ENTRY : BASELINE_ENTRY,
    port,
    env: { ...env, PORT: String(port), BENCH_SQL_CAPTURE_FILE: sqlFile },
    nodeArgs: ['-r', SQL_CAPTURE, ...extraArgs],
    // Not the repository root: Taskwright reads a .env from its working directory, and the
    // benchmark must run with exactly the settings above.
    cwd: BUILD,
    logFile: join(BUILD, 'logs', `${id}.log`),
  };
}

interface ProfileOutcome {
  scenario: string;
  file: string;
  summary: string;
}

/** Starts a server of its own under --cpu-prof, loads it like the list (or create) scenario, analyses the load window. */
async function profileScenario(
  options: BenchOptions,
  env: Record<string, string>,
  port: number,
  accounts: Account[],
  kind: ServerKind,
  name: string,
  cacheTtlMs: string,
  route: 'list' | 'create' = 'list',
): Promise<ProfileOutcome> {
  const dir = RESULTS;
  const fileName = `${options.mode}-${name}${outputSuffix(options)}.cpuprofile`;
  rmSync(join(dir, fileName), { force: true });
  const taskwright = kind === 'taskwright';
  const server = new ServerProcess(
    spec(
      `profile-${name}`,
      `${taskwright ? 'Taskwright' : 'baseline'} (profiled, ${name})`,
      kind,
      port,
      { ...env, CACHE_TTL_MS: cacheTtlMs, ...(taskwright ? options.taskwrightEnv : {}) },
      [...(taskwright ? experimentArgs(options.experiments) : []), '--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', fileName],
    ),
  );
  await server.start();
  const nextAccount = cycle(accounts);
  let created = 0;
  const listPlan = () => ({
    next: () => ({ method: 'GET' as const, path: '/v1/tasks?limit=20', headers: { authorization: `Bearer ${nextAccount().accessToken}` } }),
  });
  // The create scenario's request; its rows are removed with the other writes afterwards.
  const createPlan = () => ({
    next: () => ({
      method: 'POST' as const,
      path: '/v1/tasks',
      headers: { authorization: `Bearer ${nextAccount().accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: createdTaskTitle(++created),
        description: 'Created by the benchmark',
        priority: 'high',
        dueAt: '2027-01-15T09:00:00Z',
        tags: ['bench', 'load'],
      }),
    }),
  });
  const plan = route === 'list' ? listPlan : createPlan;
  const expectedStatuses = route === 'list' ? [200] : [201];
  progress.update(`profiling ${name}: warm-up`);
  await runLoad({
    baseUrl: server.url,
    connections: options.connections,
    durationSeconds: Math.min(5, options.warmupSeconds + 2),
    plan: plan(),
    expectedStatuses,
  });
  progress.update(`profiling ${name}: ${options.profileSeconds} s under load`);
  const startUs = Number(process.hrtime.bigint() / 1000n);
  const result = await runLoad({
    baseUrl: server.url,
    connections: options.connections,
    durationSeconds: options.profileSeconds,
    plan: plan(),
    expectedStatuses,
  });
  const endUs = Number(process.hrtime.bigint() / 1000n);
  await server.stop();
  const profileFile = join(dir, fileName);
  const title = `${taskwright ? 'Taskwright' : 'bare baseline'}, ${name} (GET /v1/tasks?limit=20, ${options.connections} connections)`;
  const summary = analyseProfile(profileFile, result.responses, title, { startUs, endUs });
  const reportFile = join(RESULTS, `profile-${options.mode}-${name}${outputSuffix(options)}.md`);
  writeFileSync(
    reportFile,
    `${summary.markdown}\nUnder the profiler: ${formatInt(result.rps)} req/s, p99 ${result.latency.p99} ms, ${result.unexpected + result.errors} failed. ` +
      `Raw profile (git-ignored; open it in Chrome DevTools or speedscope): bench/results/${fileName}\n`,
  );
  return { scenario: `${title}`, file: relative(RESULTS, reportFile), summary: summary.brief };
}

/** Results of runs that are not the plain benchmark (a subset, an experiment) never overwrite latest-*. */
function outputSuffix(options: BenchOptions): string {
  const experiment = options.experiments.length > 0 || Object.keys(options.taskwrightEnv).length > 0;
  return (
    `${experiment ? `-experiment${options.experiments.length > 0 ? `-${options.experiments.join('-')}` : ''}` : ''}` +
    `${options.versus === undefined ? '' : `-versus-${options.versus}`}${options.versusBuild === undefined ? '' : `-versus-${basename(options.versusBuild)}`}${options.only !== undefined ? '-partial' : ''}`
  );
}

async function micro(options: BenchOptions): Promise<void> {
  // First, on a small heap: after the others the figures of real I/O calls scatter more.
  const deadlines = await runDeadlineMicro(options.redisUrl, options.databaseUrl);
  const results = await runMicro();
  const lines = [
    '# Micro-benchmarks behind the profile findings',
    '',
    `Generated by \`npm run bench -- --micro\` on ${new Date().toISOString()} (${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${formatFixed(loadavg()[0] ?? Number.NaN, 1)}). One process, no I/O; see bench/lib/micro.ts.`,
    '',
    '| Operation | µs per call |',
    '|---|---:|',
    ...results.map((r) => `| ${r.name} | ${formatFixed(r.microsPerOp, 1)} |`),
    '',
    '## The dependency deadlines (issue 17), against real servers',
    '',
    deadlines.length === 0
      ? 'Not run: give REDIS_URL and/or BENCH_DATABASE_URL (see bench/lib/micro-deadlines.ts).'
      : `CPU time of the calling process per call (user + system), ${32} calls in flight, the fastest of alternating batches; Redis ${options.redisUrl === undefined ? 'not given' : new URL(options.redisUrl).host}, PostgreSQL ${options.databaseUrl === undefined ? 'not given' : new URL(options.databaseUrl).host}.`,
    '',
    ...(deadlines.length === 0
      ? []
      : [
          '| Call | plain, µs CPU (measured twice: the spread is noise) | with the deadline, µs CPU | difference to the faster plain |',
          '|---|---:|---:|---:|',
          ...deadlines.map(
            (d) =>
              `| ${d.name} | ${formatFixed(d.plainMicros[0], 2)} / ${formatFixed(d.plainMicros[1], 2)} | ${formatFixed(d.guardedMicros, 2)} | ${formatFixed(d.guardedMicros - Math.min(...d.plainMicros), 2)} |`,
          ),
        ]),
  ];
  writeFileSync(join(RESULTS, 'micro.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${results.map((r) => `${formatFixed(r.microsPerOp, 1).padStart(9)} µs  ${r.name}`).join('\n')}\n`);
  process.stdout.write(
    `${deadlines
      .map(
        (d) =>
          `${d.plainMicros
            .map((m) => formatFixed(m, 2))
            .join(' / ')
            .padStart(15)} → ${formatFixed(d.guardedMicros, 2)} µs CPU  ${d.name}`,
      )
      .join('\n')}\n`,
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options.micro) {
    mkdirSync(RESULTS, { recursive: true });
    await micro(options);
    return;
  }
  const startedAt = new Date();
  const started = Date.now();
  mkdirSync(RESULTS, { recursive: true });
  rmSync(join(BUILD, 'sql'), { recursive: true, force: true });
  mkdirSync(join(BUILD, 'sql'), { recursive: true });
  const notes: string[] = [];

  let database: Database | undefined;
  let rss: RssSampler | undefined;
  let redisStats: ReturnType<typeof createClient> | undefined;
  const cleanup = async (): Promise<void> => {
    rss?.stop();
    redisStats?.destroy();
    await stopAllServers();
    await database?.stop().catch(() => undefined);
  };
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      progress.log(`${signal}: stopping the servers`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    database = await openDatabase(options);
    const db = database;
    const pgVersion = await serverVersion(db.url);
    const jwtSecret = randomBytes(36).toString('base64url');
    const env = serverEnvironment(options, db.url, jwtSecret);
    const p = options.portBase;
    const fleet: Fleet = {
      twCache: new ServerProcess(
        spec(
          'tw-cache',
          'Taskwright (cache on)',
          'taskwright',
          p,
          { ...env, CACHE_TTL_MS: '60000', ...options.taskwrightEnv },
          experimentArgs(options.experiments),
        ),
      ),
      twNoCache: new ServerProcess(
        spec(
          'tw-nocache',
          'Taskwright (cache off)',
          'taskwright',
          p + 1,
          { ...env, CACHE_TTL_MS: '0', ...options.taskwrightEnv },
          experimentArgs(options.experiments),
        ),
      ),
      baseCache: sideB(options, env, p + 2, true),
      baseNoCache: sideB(options, env, p + 3, false),
    };
    const all = [fleet.twCache, fleet.twNoCache, fleet.baseCache, fleet.baseNoCache];

    // The first Taskwright runs the migrations; the data set needs its tables.
    progress.update('starting Taskwright (runs the migrations)');
    await fleet.twCache.start();
    await cleanUpWrites(db.url, options.dataset.namespace);
    await removeSessions(db.url, options.dataset.namespace);
    // The other servers start while the data set is checked (or generated).
    const others = Promise.all([fleet.twNoCache.start(), fleet.baseCache.start(), fleet.baseNoCache.start()]);
    const [dataset] = await Promise.all([ensureDataset(db.url, options.dataset, options.reseed), others]);
    progress.log(`servers up: ${all.map((s) => `${s.spec.label} :${s.spec.port} pid ${s.pid}`).join(', ')}`);

    const tokenRanks = Array.from({ length: Math.min(options.tokenUsers, options.dataset.users) }, (_, i) => i + 1);
    const accounts = await loginAll(
      fleet.twCache.url,
      tokenRanks.map((r) => userEmail(options.dataset.namespace, r)),
      BENCH_PASSWORD,
    );
    const deepAccount = await login(fleet.twCache.url, deepOwnerEmail(options.dataset.namespace), BENCH_PASSWORD);
    const burstRanks = Array.from({ length: Math.max(0, Math.min(200, options.dataset.users - tokenRanks.length)) }, (_, i) => tokenRanks.length + i + 1);
    const loginEmails = (burstRanks.length > 0 ? burstRanks : tokenRanks).map((r) => userEmail(options.dataset.namespace, r));
    progress.log(`${accounts.length + 1} users logged in`);

    const pool = new TaskPool(db.url, accounts);
    await pool.load(options.tasksPerAccount);
    progress.update('sharing: the mixed-list cursor and the tasks to read and grant');
    const sharing = await loadSharingFixture(db.url, jwtSecret, dataset, { readTasks: 200, grantTasks: 200, grantees: 8 });
    await checkDeepCursor(fleet.twNoCache, deepAccount, sharing.mixedDeepCursor);
    const sqlFiles = new Map(all.map((s) => [s.spec.id, s.spec.env.BENCH_SQL_CAPTURE_FILE ?? '']));
    progress.update('parity probes');
    let parity: ParityFinding[] = [];
    try {
      // Parity compares Taskwright with the baseline; against Taskwright itself there is nothing to compare.
      if (!againstTaskwright(options)) parity = await checkParity(fleet, accounts, pool, sqlFiles, { deepAccount, fixture: sharing });
    } catch (error) {
      parity = [{ probe: 'parity probes', ok: false, detail: `failed: ${errorMessage(error)}` }];
    }
    const parityProblems = parity.filter((f) => !f.ok);
    progress.log(
      `parity: ${parity.length - parityProblems.length}/${parity.length} probes identical${parityProblems.length > 0 ? ` (differences: ${parityProblems.map((f) => f.probe).join('; ')})` : ''}`,
    );
    await cleanUpWrites(db.url, options.dataset.namespace);

    const context: ScenarioContext = { options, fleet, databaseUrl: db.url, jwtSecret, accounts, deepAccount, loginEmails, pool, sharing };
    const depth = Math.round(options.dataset.deepOwnerTasks * 0.9);
    const cursor = await deepCursor(context, depth);
    await checkDeepCursor(fleet.twNoCache, deepAccount, cursor);

    rss = new RssSampler(() => all);
    rss.start();
    const comparisons = buildComparisons(context, cursor);
    const results: ComparisonResult[] = [];
    if (options.redisUrl !== undefined) {
      redisStats = createClient({ url: options.redisUrl });
      await redisStats.connect();
    }
    const stats = redisStats;
    const settings: RunSettings = {
      rounds: options.rounds,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      connections: options.connections,
      redisCommands: stats && (async () => Number(/total_commands_processed:(\d+)/.exec(await stats.info('stats'))?.[1] ?? Number.NaN)),
    };
    for (const [index, comparison] of comparisons.entries()) {
      progress.update(`${comparison.id} (${index + 1}/${comparisons.length})`);
      const result = await runComparison(comparison, settings, rss);
      results.push(result);
      if (result.id === 'list-cold') context.coldListRps = result.sides[0].rps;
      if (result.id.startsWith('create')) await cleanUpWrites(db.url, options.dataset.namespace);
      const [a, b] = result.sides;
      progress.log(
        `${result.hasErrors ? '⚠ ' : ''}${result.id}: ${a.label} ${formatInt(a.rps)} req/s p99 ${a.p99} ms | ${b.label} ${formatInt(b.rps)} req/s p99 ${b.p99} ms` +
          (result.against === 'baseline'
            ? ` | ratio ${result.rpsRatio.toFixed(2)}`
            : ` | p50 ${result.p50Ratio.toFixed(2)}×, p99 ${result.p99Ratio.toFixed(2)}×`),
      );
    }
    rss.stop();
    const hwm = all.map((s) => `${s.spec.id} ${formatInt((s.memory()?.hwmKiB ?? Number.NaN) / 1024)} MiB`).join(', ');
    notes.push(`Lifetime peak RSS (VmHWM, start-up included): ${hwm}.`);
    notes.push(
      `Log volume: Taskwright wrote ${all
        .filter((s) => s.spec.kind === 'taskwright')
        .map((s) => `${formatFixed(s.logBytes() / 1024 / 1024, 1)} MiB (${s.spec.id})`)
        .join(', ')} of JSON log lines at LOG_LEVEL=${options.logLevel} (one line per request), to a file.`,
    );
    await Promise.all(all.map((s) => s.stop()));

    const profiles: ProfileOutcome[] = [];
    if (options.profile && !againstTaskwright(options)) {
      for (const [kind, name, ttl, route] of [
        ['taskwright', 'list-cold', '0', 'list'],
        ['taskwright', 'list-warm', '60000', 'list'],
        ['taskwright', 'create', '60000', 'create'],
        ['baseline', 'baseline-list-cold', '0', 'list'],
        ['baseline', 'baseline-create', '60000', 'create'],
      ] as const) {
        try {
          profiles.push(await profileScenario(options, env, p + 4, accounts, kind, name, ttl, route));
          progress.log(`profiled ${name}: bench/results/${profiles.at(-1)?.file ?? ''}`);
        } catch (error) {
          notes.push(`Profiling ${name} failed: ${errorMessage(error)}`);
        }
      }
    }
    await cleanUpWrites(db.url, options.dataset.namespace);

    const report: BenchReport = {
      mode: options.mode,
      command: process.argv.slice(2).join(' '),
      startedAt: startedAt.toISOString(),
      wallSeconds: (Date.now() - started) / 1000,
      environment: {
        Commit: gitCommit(),
        Machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${formatInt(totalmem() / 1024 ** 3)} GiB; Node ${process.version}; shared with other work (noisy)`,
        Database: `${db.label}, PostgreSQL ${pgVersion}`,
        Redis:
          options.redisUrl === undefined
            ? 'none: cache, session answers and rate-limit counters in process'
            : `${new URL(options.redisUrl).host} (prefix ${options.redisKeyPrefix})`,
        Load: `autocannon on 127.0.0.1, ${options.connections} connections, ${options.rounds} alternating rounds × ${options.durationSeconds} s per server (after ${options.warmupSeconds} s warm-up each)`,
        ...(options.experiments.length > 0
          ? { Experiments: `⚠ NOT the code as it is: Taskwright ran with ${options.experiments.map((e) => `bench/experiments/${e}.ts`).join(', ')} preloaded` }
          : {}),
        ...(options.versusBuild === undefined
          ? {}
          : { 'Side B': `${versusLabel(options)}: the build in ${options.versusBuild} (commit ${gitCommit(options.versusBuild)}), not the bare baseline` }),
        ...(options.versus === undefined
          ? {}
          : {
              'Side B': `${versusLabel(options)}: ${options.versus === 'none' ? 'the same build again (an A/A run: the spread is the noise)' : `the same build with bench/experiments/${options.versus}.ts preloaded`}, not the bare baseline`,
            }),
      },
      serverSettings: Object.fromEntries(
        Object.entries({ ...env, ...Object.fromEntries(Object.entries(options.taskwrightEnv).map(([k, v]) => [`${k} (Taskwright only, --tw-env)`, v])) })
          .filter(([key]) => !['DATABASE_URL', 'BENCH_SQL_CAPTURE_FILE'].includes(key))
          .map(([key, value]) => [key, key === 'JWT_SECRET' ? '(random per run, 48 characters)' : value]),
      ),
      dataset: {
        'Data set': `${formatInt(options.dataset.users)} users with ${formatInt(dataset.totalTasks - options.dataset.deepOwnerTasks - dataset.sharedWithDeepOwner)} tasks (Zipf spread: the largest owns ${formatInt(
          Math.round(options.dataset.spreadTasks / harmonic(options.dataset.users)),
        )}), plus one owner of ${formatInt(options.dataset.deepOwnerTasks)} with ${formatInt(dataset.sharedWithDeepOwner)} more tasks shared with them (owned by the lower half of the users, viewer or editor, created across the same time range); ${dataset.seededSeconds > 0 ? `seeded in ${formatDuration(dataset.seededSeconds * 1000)}` : 'reused from an earlier run'}`,
        'Load users': `${accounts.length} logged-in users (ranks 1–${accounts.length}, the biggest owners), ${pool.all.length} of their tasks for GET/PATCH by id`,
      },
      comparisons: results,
      targets: !againstTaskwright(options) ? computeTargets(results) : computeVersusTargets(results, versusLabel(options)),
      parity,
      profiles,
      notes: [
        ...notes,
        `Both servers share the database, data and tokens; Taskwright and the ${versusLabel(options)} alternate round by round (A-B, then B-A) so drift on the machine hits both.`,
        ...(!againstTaskwright(options)
          ? ["The baseline does not log requests or export metrics; those are Taskwright's own costs and appear in the CPU profiles."]
          : []),
      ],
    };
    const base = join(RESULTS, `latest-${options.mode}${outputSuffix(options)}`);
    writeFileSync(`${base}.json`, `${JSON.stringify({ ...report, comparisons: results.map(stripRounds) }, null, 2)}\n`);
    writeFileSync(`${base}.raw.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${base}.md`, renderMarkdown(report));
    progress.log(`done in ${formatDuration(Date.now() - started)}: ${relative(ROOT, base)}.md and .json`);
    process.stdout.write(`\n${renderConsole(report)}\n`);
  } finally {
    await cleanup();
  }
}

function harmonic(n: number): number {
  let h = 0;
  for (let r = 1; r <= n; r += 1) h += 1 / r;
  return h;
}

/** The committed JSON keeps the per-round figures but not autocannon's full histograms and samples. */
function stripRounds(result: ComparisonResult): ComparisonResult {
  return {
    ...result,
    sides: result.sides.map((side) => ({
      ...side,
      rounds: side.rounds.map((round) => ({ ...round, unexpectedSamples: {} })),
    })) as ComparisonResult['sides'],
  };
}

main()
  .then(() => sleep(50))
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    progress.log(`benchmark failed: ${errorMessage(error)}`);
    process.exit(1);
  });
