import { basename } from 'node:path';
import type { DatasetSpec } from './seed';

type Mode = 'quick' | 'full';

export interface BenchOptions {
  mode: Mode;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Scenario ids (or groups, e.g. `shared-list`) to run (all when undefined). */
  only: string[] | undefined;
  profile: boolean;
  profileSeconds: number;
  reseed: boolean;
  /** From BENCH_DATABASE_URL, else DATABASE_URL; undefined starts an embedded PostgreSQL. */
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  portBase: number;
  logLevel: string;
  dataset: DatasetSpec;
  /** Accounts logged in to spread the load over (each request picks the next one). */
  tokenUsers: number;
  /** Tasks per account kept for the conditional GET and PATCH scenarios. */
  tasksPerAccount: number;
  burstConnections: number;
  /** The list load under the login burst: connections and a fixed rate (a fraction of the cold list capacity). */
  burstListConnections: number;
  burstListRateFraction: number;
  /** Extra environment for the Taskwright servers only (`--tw-env KEY=VALUE`), for trying a setting out. */
  taskwrightEnv: Record<string, string>;
  /** Preloads from bench/experiments/ for the Taskwright servers (`--experiment name`): a proposed change, simulated. */
  experiments: string[];
  /**
   * `--versus-experiment NAME`: side B of every scenario is Taskwright with bench/experiments/NAME
   * preloaded instead of the bare baseline (`none`: Taskwright as it is, an A/A run for the noise).
   */
  versus: string | undefined;
  /**
   * `--versus-build DIR`: side B is the Taskwright built in another checkout (DIR/dist/src/main.js,
   * from its `npm run build`), e.g. the commit before a change, on the same database and data.
   */
  versusBuild: string | undefined;
  /** Only the micro-benchmarks (no servers, no database). */
  micro: boolean;
}

const HELP = `npm run bench [-- options]

  --quick               small data set, short rounds (CI: about 3 minutes, figures only)
  --rounds N            alternating A/B rounds per scenario (quick 2, full 5)
  --duration S          seconds per round and target (quick 2, full 10)
  --warmup S            unrecorded seconds per target before the rounds (quick 0.5, full 3)
  --connections N       concurrent connections (50)
  --only a,b            run only these scenarios (ids in the table, or the groups shared-list and
                        shared-read); results go to *-partial files
  --profile / --no-profile
                        CPU-profile both servers under the list and create scenarios (default: full yes, quick no)
  --micro               only the micro-benchmarks behind the profile findings (bench/results/micro.md)
  --reseed              regenerate the data set even if it is intact
  --port-base N         first of the ports used for the servers (3410)
  --log-level L         Taskwright's LOG_LEVEL (default info, as in production; its log goes to
                        node_modules/.cache/taskwright-bench/logs)
  --redis URL           Redis for both servers (instead of REDIS_URL), e.g. redis://127.0.0.1:6379
  --no-redis            ignore REDIS_URL
  --tw-env KEY=VALUE    extra environment for the Taskwright servers only (repeatable), to try a
                        setting out; it is listed in the report
  --experiment NAME     preload bench/experiments/NAME into the Taskwright servers (repeatable):
                        a proposed change simulated without touching src/ (a .ts file there)
  --versus-experiment NAME
                        Taskwright against Taskwright with bench/experiments/NAME preloaded, instead
                        of against the baseline, round by round in one run: what a piece of the code
                        costs (NAME \`none\`: against itself, the run's noise). No parity, no profiles,
                        only the scenarios against the baseline
  --versus-build DIR    Taskwright against the Taskwright built in another checkout DIR (its
                        dist/src/main.js, from npm run build there): before and after a change in
                        one run, round by round (same database schema required)

Environment: BENCH_DATABASE_URL or DATABASE_URL (a PostgreSQL server; otherwise an embedded one with
its data in node_modules/.cache/taskwright-bench/pgdata, on BENCH_PG_PORT, default 54339), REDIS_URL
(Redis for both servers), BENCH_REDIS_KEY_PREFIX (default taskwright-bench:).`;

/** What the report calls side B of the scenarios. */
export function versusLabel(options: Pick<BenchOptions, 'versus' | 'versusBuild'>): string {
  if (options.versusBuild !== undefined) return `Taskwright (${basename(options.versusBuild)})`;
  return options.versus === undefined ? 'baseline' : options.versus === 'none' ? 'Taskwright (again)' : `Taskwright + ${options.versus}`;
}

/** Side B is another Taskwright (an experiment or another build), not the bare baseline. */
export function againstTaskwright(options: Pick<BenchOptions, 'versus' | 'versusBuild'>): boolean {
  return options.versus !== undefined || options.versusBuild !== undefined;
}

function readNumber(args: string[], index: number, name: string): number {
  const raw = args[index + 1];
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

export function parseOptions(args: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const quick = args.includes('--quick');
  const mode: Mode = quick ? 'quick' : 'full';
  const options: BenchOptions = {
    mode,
    rounds: quick ? 2 : 5,
    durationSeconds: quick ? 2 : 10,
    warmupSeconds: quick ? 0.5 : 3,
    connections: 50,
    only: undefined,
    profile: !quick,
    profileSeconds: quick ? 5 : 20,
    reseed: false,
    databaseUrl: env.BENCH_DATABASE_URL?.trim() || env.DATABASE_URL?.trim() || undefined,
    embeddedPgPort: Number(env.BENCH_PG_PORT ?? 54339),
    redisUrl: env.REDIS_URL?.trim() || undefined,
    redisKeyPrefix: env.BENCH_REDIS_KEY_PREFIX?.trim() || 'taskwright-bench:',
    portBase: 3410,
    logLevel: 'info',
    dataset: quick
      ? // One task shared with the deep owner for every 100 they own, in both modes.
        { namespace: 'quick', users: 100, spreadTasks: 20_000, deepOwnerTasks: 50_000, sharedWithDeepOwner: 500 }
      : { namespace: 'full', users: 2_000, spreadTasks: 250_000, deepOwnerTasks: 1_000_000, sharedWithDeepOwner: 10_000 },
    tokenUsers: quick ? 20 : 200,
    tasksPerAccount: quick ? 40 : 20,
    burstConnections: 8,
    burstListConnections: 10,
    burstListRateFraction: 0.4,
    taskwrightEnv: {},
    experiments: [],
    versus: undefined,
    versusBuild: undefined,
    micro: false,
  };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    switch (arg) {
      case '--quick':
        break;
      case '--rounds':
        options.rounds = Math.round(readNumber(args, i, arg));
        i += 1;
        break;
      case '--duration':
        options.durationSeconds = readNumber(args, i, arg);
        i += 1;
        break;
      case '--warmup':
        options.warmupSeconds = readNumber(args, i, arg);
        i += 1;
        break;
      case '--connections':
        options.connections = Math.round(readNumber(args, i, arg));
        i += 1;
        break;
      case '--only':
        options.only = (args[i + 1] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        i += 1;
        break;
      case '--profile':
        options.profile = true;
        break;
      case '--no-profile':
        options.profile = false;
        break;
      case '--micro':
        options.micro = true;
        break;
      case '--reseed':
        options.reseed = true;
        break;
      case '--port-base':
        options.portBase = Math.round(readNumber(args, i, arg));
        i += 1;
        break;
      case '--log-level':
        options.logLevel = args[i + 1] ?? 'info';
        i += 1;
        break;
      case '--redis':
        options.redisUrl = args[i + 1];
        if (options.redisUrl === undefined || !/^rediss?:\/\//.test(options.redisUrl)) throw new Error('--redis needs a redis:// URL');
        i += 1;
        break;
      case '--no-redis':
        options.redisUrl = undefined;
        break;
      case '--experiment':
        options.experiments.push(args[i + 1] ?? '');
        i += 1;
        break;
      case '--versus-experiment':
        options.versus = args[i + 1] ?? '';
        i += 1;
        break;
      case '--versus-build':
        options.versusBuild = args[i + 1] ?? '';
        i += 1;
        break;
      case '--tw-env': {
        const pair = args[i + 1] ?? '';
        const eq = pair.indexOf('=');
        if (eq < 1) throw new Error('--tw-env needs KEY=VALUE');
        options.taskwrightEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
        i += 1;
        break;
      }
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${String(arg)}\n\n${HELP}`);
    }
  }
  if (options.versus !== undefined && options.versusBuild !== undefined) throw new Error('--versus-experiment and --versus-build exclude each other');
  if (options.portBase === 3000 || options.portBase + 6 >= 65535) throw new Error('--port-base must leave port 3000 alone');
  return options;
}
