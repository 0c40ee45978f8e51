import { loadavg } from 'node:os';
import { type LoadResult, type RequestPlan, runLoad } from './load';
import { readMachineCpu } from './proc';
import { progress } from './progress';
import type { ServerProcess } from './servers';
import { formatInt, max, median, sum } from './util';

/** Samples every server's VmRSS a few times a second; `window()` gives the peak since the last call. */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly servers: () => ServerProcess[]) {}

  start(intervalMs = 200): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private sample(): void {
    for (const server of this.servers()) {
      const memory = server.memory();
      if (!memory || !Number.isFinite(memory.rssKiB)) continue;
      this.peaks.set(server.spec.id, Math.max(this.peaks.get(server.spec.id) ?? 0, memory.rssKiB));
    }
  }

  /** Peak VmRSS (KiB) of `server` since the previous window() for it, then starts a new window. */
  window(server: ServerProcess): number {
    this.sample();
    const peak = this.peaks.get(server.spec.id) ?? Number.NaN;
    this.peaks.delete(server.spec.id);
    return peak;
  }

  reset(server: ServerProcess): void {
    this.peaks.delete(server.spec.id);
  }
}

/** One side of a comparison: a server, what to send it, and optionally a second load at the same time. */
interface Side {
  label: string;
  server: ServerProcess;
  plan: () => RequestPlan;
  /** A concurrent load (the login burst), run for the same duration against the same server. */
  background?: () => { plan: RequestPlan; connections: number; expectedStatuses: number[] };
  connections?: number;
  /** A fixed request rate (req/s) instead of as fast as possible. */
  rate?: number;
  /** Before each timed run (not timed): re-synchronise state the plan keeps (versions, say). */
  beforeRun?: () => Promise<void>;
}

export interface Comparison {
  id: string;
  /** A name `--only` also takes, for comparisons reported together (`shared-list`). */
  group?: string;
  title: string;
  /** `baseline`: side B is the bare baseline; `self`: both sides are Taskwright (deep vs first page, burst vs none). */
  against: 'baseline' | 'self';
  /** How the scenario is built (cache defeated how, which data), for the report. */
  note: string;
  expectedStatuses: number[];
  sides: [Side, Side];
  after?: () => Promise<void>;
}

export interface SideResult {
  label: string;
  serverId: string;
  rounds: LoadResult[];
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  responses: number;
  statuses: Record<string, number>;
  unexpected: number;
  errors: number;
  peakRssMiB: number;
  /** Server CPU time (user + system) per expected response, microseconds; median of the rounds. */
  cpuMicrosPerRequest: number;
  /** Redis commands per expected response (median of the rounds), when the servers use Redis. */
  redisCommandsPerRequest?: number;
  background?: { rps: number; p50: number; p99: number; statuses: Record<string, number>; unexpected: number; errors: number };
  unexpectedSamples: Record<string, string>;
}

export interface ComparisonResult {
  id: string;
  title: string;
  against: 'baseline' | 'self';
  note: string;
  sides: [SideResult, SideResult];
  /** A/B of the medians. */
  rpsRatio: number;
  p50Ratio: number;
  p99Ratio: number;
  /** True when any response was unexpected or failed: the figures are marked, never trusted silently. */
  hasErrors: boolean;
  /** Machine load while it ran: 1-minute load average at the start, and the busy share of all CPUs. */
  loadAverage: number;
  machineBusyPercent: number;
}

export interface RunSettings {
  /** Redis's total_commands_processed (when the servers use Redis): commands per request per side. */
  redisCommands?: () => Promise<number>;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

type SideRun = { result: LoadResult; cpuMs: number; peakKiB: number; redisCommands?: number; background?: LoadResult };

async function runSide(side: Side, settings: RunSettings, seconds: number, expectedStatuses: number[], rss: RssSampler, label: string): Promise<SideRun> {
  await side.beforeRun?.();
  rss.reset(side.server);
  const commandsBefore = await settings.redisCommands?.();
  const cpuBefore = side.server.cpuMs() ?? Number.NaN;
  const ticker = setInterval(() => progress.update(`${label} (${side.label})`), 1000);
  try {
    const main = runLoad({
      baseUrl: side.server.url,
      connections: side.connections ?? settings.connections,
      durationSeconds: seconds,
      plan: side.plan(),
      expectedStatuses,
      rate: side.rate,
    });
    const backgroundSpec = side.background?.();
    const background = backgroundSpec
      ? runLoad({
          baseUrl: side.server.url,
          connections: backgroundSpec.connections,
          durationSeconds: seconds,
          plan: backgroundSpec.plan,
          expectedStatuses: backgroundSpec.expectedStatuses,
        })
      : undefined;
    const [result, backgroundResult] = await Promise.all([main, background]);
    const cpuMs = (side.server.cpuMs() ?? Number.NaN) - cpuBefore;
    const commandsAfter = await settings.redisCommands?.();
    if (!side.server.isRunning) throw new Error(`${side.server.spec.label} died during ${label}:\n${side.server.logTail(20)}`);
    const redisCommands = commandsBefore === undefined || commandsAfter === undefined ? undefined : commandsAfter - commandsBefore - 1;
    return { result, cpuMs, peakKiB: rss.window(side.server), redisCommands, background: backgroundResult };
  } finally {
    clearInterval(ticker);
  }
}

function summarise(side: Side, runs: SideRun[]): SideResult {
  const rounds = runs.map((r) => r.result);
  const statuses: Record<string, number> = {};
  const unexpectedSamples: Record<string, string> = {};
  for (const round of rounds) {
    for (const [status, n] of Object.entries(round.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
    for (const [status, body] of Object.entries(round.unexpectedSamples)) unexpectedSamples[status] ??= body;
  }
  const backgrounds = runs.map((r) => r.background).filter((b): b is LoadResult => b !== undefined);
  const backgroundStatuses: Record<string, number> = {};
  for (const b of backgrounds) for (const [status, n] of Object.entries(b.statuses)) backgroundStatuses[status] = (backgroundStatuses[status] ?? 0) + n;
  return {
    label: side.label,
    serverId: side.server.spec.id,
    rounds,
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.latency.p50)),
    p99: median(rounds.map((r) => r.latency.p99)),
    mean: median(rounds.map((r) => r.latency.mean)),
    responses: sum(rounds.map((r) => r.responses)),
    statuses,
    unexpected: sum(rounds.map((r) => r.unexpected)),
    errors: sum(rounds.map((r) => r.errors)),
    peakRssMiB: max(runs.map((r) => r.peakKiB)) / 1024,
    cpuMicrosPerRequest: median(runs.map((r) => (r.cpuMs * 1000) / Math.max(1, r.result.responses - r.result.unexpected))),
    redisCommandsPerRequest: runs.every((r) => r.redisCommands !== undefined)
      ? median(runs.map((r) => (r.redisCommands ?? 0) / Math.max(1, r.result.responses + (r.background?.responses ?? 0))))
      : undefined,
    unexpectedSamples,
    background:
      backgrounds.length === 0
        ? undefined
        : {
            rps: median(backgrounds.map((b) => b.rps)),
            p50: median(backgrounds.map((b) => b.latency.p50)),
            p99: median(backgrounds.map((b) => b.latency.p99)),
            statuses: backgroundStatuses,
            unexpected: sum(backgrounds.map((b) => b.unexpected)),
            errors: sum(backgrounds.map((b) => b.errors)),
          },
  };
}

/**
 * Warms both sides up (unrecorded), then runs `rounds` alternating rounds, A-B then B-A, so drift
 * on a noisy machine hits both sides alike; the figures are medians over the rounds.
 */
export async function runComparison(comparison: Comparison, settings: RunSettings, rss: RssSampler): Promise<ComparisonResult> {
  const [a, b] = comparison.sides;
  const load = loadavg()[0] ?? Number.NaN;
  const cpuStart = readMachineCpu();
  if (settings.warmupSeconds > 0) {
    for (const side of [a, b]) {
      await runSide(side, settings, settings.warmupSeconds, comparison.expectedStatuses, rss, `${comparison.id}: warm-up`);
    }
  }
  const runsA: SideRun[] = [];
  const runsB: SideRun[] = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    const order: Array<[Side, typeof runsA]> =
      round % 2 === 0
        ? [
            [a, runsA],
            [b, runsB],
          ]
        : [
            [b, runsB],
            [a, runsA],
          ];
    for (const [side, runs] of order) {
      const run = await runSide(
        side,
        settings,
        settings.durationSeconds,
        comparison.expectedStatuses,
        rss,
        `${comparison.id}: round ${round + 1}/${settings.rounds}`,
      );
      runs.push(run);
      progress.update(
        `${comparison.id}: round ${round + 1}/${settings.rounds} ${side.label}: ${formatInt(run.result.rps)} req/s, p99 ${run.result.latency.p99} ms`,
      );
    }
  }
  await comparison.after?.();
  const cpuEnd = readMachineCpu();
  const resultA = summarise(a, runsA);
  const resultB = summarise(b, runsB);
  const busy = cpuStart && cpuEnd ? ((cpuEnd.busy - cpuStart.busy) / Math.max(1, cpuEnd.total - cpuStart.total)) * 100 : Number.NaN;
  return {
    id: comparison.id,
    title: comparison.title,
    against: comparison.against,
    note: comparison.note,
    sides: [resultA, resultB],
    rpsRatio: resultA.rps / resultB.rps,
    p50Ratio: resultA.p50 / resultB.p50,
    p99Ratio: resultA.p99 / resultB.p99,
    hasErrors:
      resultA.unexpected + resultA.errors + resultB.unexpected + resultB.errors + (resultA.background?.unexpected ?? 0) + (resultA.background?.errors ?? 0) > 0,
    loadAverage: load,
    machineBusyPercent: busy,
  };
}
