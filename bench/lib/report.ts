import type { ComparisonResult, SideResult } from './runner';
import { formatFixed, formatInt } from './util';

export interface Target {
  name: string;
  measured: string;
  met: boolean | undefined;
}

export interface ParityFinding {
  probe: string;
  ok: boolean;
  detail: string;
}

export interface BenchReport {
  mode: string;
  /** The options as given (`--quick --only list-cold`), for the header. */
  command: string;
  startedAt: string;
  wallSeconds: number;
  environment: Record<string, string>;
  serverSettings: Record<string, string>;
  dataset: Record<string, string>;
  comparisons: ComparisonResult[];
  targets: Target[];
  parity: ParityFinding[];
  profiles: Array<{ scenario: string; file: string; summary: string }>;
  notes: string[];
}

function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

function statusSummary(side: SideResult): string {
  const problems = side.unexpected + side.errors;
  if (problems === 0) return '0';
  const codes = Object.keys(side.unexpectedSamples)
    .map((status) => `${status}×${side.statuses[status] ?? 0}`)
    .join(' ');
  return `⚠ ${problems}${side.errors > 0 ? ` (${side.errors} conn. errors/timeouts)` : ''}${codes ? ` [${codes}]` : ''}`;
}

const MARK = (met: boolean | undefined): string => (met === undefined ? '–' : met ? '✅ met' : '❌ not met');

export function computeTargets(comparisons: ComparisonResult[]): Target[] {
  const byId = new Map(comparisons.map((c) => [c.id, c]));
  const targets: Target[] = [];
  const throughput = (id: string, name: string, minimum: number): void => {
    const c = byId.get(id);
    targets.push({
      name: `${name} req/s ≥ ${minimum.toFixed(2)} × baseline`,
      measured: c ? `${ratio(c.rpsRatio)} (${formatInt(c.sides[0].rps)} vs ${formatInt(c.sides[1].rps)})${c.hasErrors ? ' ⚠ errors' : ''}` : 'not run',
      met: c && !c.hasErrors ? c.rpsRatio >= minimum : undefined,
    });
  };
  throughput('list-cold', 'Uncached list', 0.8);
  throughput('list-warm', 'Cached list', 0.85);
  throughput('create', 'Create', 0.75);
  for (const id of ['list-cold', 'list-warm', 'create']) {
    const c = byId.get(id);
    targets.push({
      name: `${id} p99 ≤ 1.5 × baseline's`,
      measured: c ? `${ratio(c.p99Ratio)} (${c.sides[0].p99} vs ${c.sides[1].p99} ms)` : 'not run',
      met: c && !c.hasErrors ? c.p99Ratio <= 1.5 : undefined,
    });
  }
  const deep = byId.get('deep-page');
  targets.push({
    name: 'Deep page latency ≤ 1.5 × first page (p50; p99 shown)',
    measured: deep ? `${ratio(deep.p50Ratio)} p50 (${deep.sides[0].p50} vs ${deep.sides[1].p50} ms), ${ratio(deep.p99Ratio)} p99` : 'not run',
    met: deep && !deep.hasErrors ? deep.p50Ratio <= 1.5 : undefined,
  });
  targets.push(...sharingTargets(byId));
  const burst = byId.get('login-burst');
  targets.push({
    name: 'List p99 during a login burst ≤ 2 × without',
    measured: burst
      ? `${ratio(burst.p99Ratio)} (${burst.sides[0].p99} vs ${burst.sides[1].p99} ms; logins ${formatFixed(burst.sides[0].background?.rps ?? Number.NaN, 1)}/s, login p99 ${burst.sides[0].background?.p99 ?? 'n/a'} ms)`
      : 'not run',
    met: burst && !burst.hasErrors ? burst.p99Ratio <= 2 : undefined,
  });
  const twPeaks = comparisons.flatMap((c) => c.sides.filter((s) => s.serverId.startsWith('tw')).map((s) => s.peakRssMiB));
  const peak = twPeaks.length > 0 ? Math.max(...twPeaks) : Number.NaN;
  targets.push({
    name: 'Taskwright RSS under load ≤ 200 MiB',
    measured: Number.isFinite(peak) ? `${formatFixed(peak, 0)} MiB peak` : 'not run',
    met: Number.isFinite(peak) ? peak <= 200 : undefined,
  });
  return targets;
}

/** A/B of one side of two comparisons (e.g. Taskwright's mixed list over its own-only list). */
function sideRatios(a: ComparisonResult, b: ComparisonResult, side: 0 | 1): { p50: number; rps: number } {
  return { p50: a.sides[side].p50 / b.sides[side].p50, rps: a.sides[side].rps / b.sides[side].rps };
}

/** The sharing scenarios' targets: Taskwright's ratios between two of them (the baseline's alongside, for scale). */
function sharingTargets(byId: Map<string, ComparisonResult>): Target[] {
  const targets: Target[] = [];
  const mixed = byId.get('shared-list-mixed');
  const deep = byId.get('shared-list-deep');
  const own = byId.get('shared-list-own');
  const describe = (a: ComparisonResult, b: ComparisonResult, what: string): string => {
    const tw = sideRatios(a, b, 0);
    const base = sideRatios(a, b, 1);
    return `${what} ${ratio(tw.p50)} p50 (${a.sides[0].p50} vs ${b.sides[0].p50} ms), ${ratio(tw.rps)} req/s; baseline ${ratio(base.p50)} p50, ${ratio(base.rps)} req/s`;
  };
  targets.push({
    name: 'Mixed list (own + shared) first and deep page ≤ 1.5 × own-only first page (Taskwright p50; (a)/(c) and (b)/(c), req/s shown)',
    measured: mixed && deep && own ? `${describe(mixed, own, 'first')}; ${describe(deep, own, 'deep')}` : 'not run',
    met:
      mixed && deep && own && !mixed.hasErrors && !deep.hasErrors && !own.hasErrors
        ? sideRatios(mixed, own, 0).p50 <= 1.5 && sideRatios(deep, own, 0).p50 <= 1.5
        : undefined,
  });
  const sharedRead = byId.get('shared-read-shared');
  const ownRead = byId.get('shared-read-own');
  targets.push({
    name: 'Read of a shared task ≤ 1.1 × read of an own task (Taskwright p50; req/s shown)',
    measured: sharedRead && ownRead ? describe(sharedRead, ownRead, 'shared/own') : 'not run',
    met: sharedRead && ownRead && !sharedRead.hasErrors && !ownRead.hasErrors ? sideRatios(sharedRead, ownRead, 0).p50 <= 1.1 : undefined,
  });
  return targets;
}

/** The sharing scenarios side by side, with each one's ratios to its reference (own-only list, own read). */
function renderSharing(comparisons: ComparisonResult[]): string[] {
  const byId = new Map(comparisons.map((c) => [c.id, c]));
  const rows: Array<[string, string | undefined]> = [
    ['shared-list-mixed', 'shared-list-own'],
    ['shared-list-deep', 'shared-list-own'],
    ['shared-list-own', undefined],
    ['shared-list-shared', 'shared-list-own'],
    ['shared-read-shared', 'shared-read-own'],
    ['shared-read-own', undefined],
    ['share-grant', undefined],
  ];
  const present = rows.filter(([id]) => byId.has(id));
  if (present.length === 0) return [];
  const lines = [
    '## Sharing',
    '',
    "The deep owner's lists and reads with tasks shared with them, and grants by them; each row Taskwright vs the baseline in alternating rounds (cache off, except `share-grant`). " +
      'Reference: the own-only first page for the lists, the read of an own task for the reads; ratio = this row / reference (p50: above 1 is slower; req/s: below 1 is slower).',
    '',
    '| Scenario | TW req/s | base req/s | TW / base req/s | p50 ms TW / base | p99 ms TW / base | CPU µs/req TW / base | Reference | TW ratio p50 / req/s | base ratio p50 / req/s |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const [id, referenceId] of present) {
    const c = byId.get(id) as ComparisonResult;
    const reference = referenceId === undefined ? undefined : byId.get(referenceId);
    const [tw, base] = c.sides;
    const ratios = reference === undefined ? undefined : [sideRatios(c, reference, 0), sideRatios(c, reference, 1)];
    lines.push(
      `| ${c.hasErrors ? '⚠ ' : ''}\`${c.id}\` ${c.title} | ${formatInt(tw.rps)} | ${formatInt(base.rps)} | ${ratio(c.rpsRatio)} | ${tw.p50} / ${base.p50} | ${tw.p99} / ${base.p99} | ${formatInt(tw.cpuMicrosPerRequest)} / ${formatInt(base.cpuMicrosPerRequest)} | ${
        reference === undefined ? '–' : `\`${reference.id}\``
      } | ${ratios ? `${ratio(ratios[0]?.p50 ?? Number.NaN)} / ${ratio(ratios[0]?.rps ?? Number.NaN)}` : '–'} | ${ratios ? `${ratio(ratios[1]?.p50 ?? Number.NaN)} / ${ratio(ratios[1]?.rps ?? Number.NaN)}` : '–'} |`,
    );
  }
  lines.push('');
  return lines;
}

/**
 * `--versus-experiment`: Taskwright may be at most `budget` slower than side B in any scenario
 * (issue 17: the deadlines and the breaker may cost at most 5 % of any scenario's req/s).
 */
export function computeVersusTargets(comparisons: ComparisonResult[], other: string, budget = 0.05): Target[] {
  return comparisons
    .filter((c) => c.against === 'baseline')
    .map((c) => ({
      name: `\`${c.id}\` req/s ≥ ${(1 - budget).toFixed(2)} × ${other}`,
      measured: `${ratio(c.rpsRatio)} (${formatInt(c.sides[0].rps)} vs ${formatInt(c.sides[1].rps)}; rounds ${roundRatios(c)})${c.hasErrors ? ' ⚠ errors' : ''}`,
      met: c.hasErrors ? undefined : c.rpsRatio >= 1 - budget,
    }));
}

/** A/B req/s of each round pair (the spread shows how far the medians can be trusted). */
function roundRatios(c: ComparisonResult): string {
  const [a, b] = c.sides;
  return a.rounds.map((round, i) => formatFixed(round.rps / (b.rounds[i]?.rps ?? Number.NaN), 2)).join(', ');
}

export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(`# Taskwright benchmark (${report.mode})`, '');
  lines.push(
    `Run ${report.startedAt}, ${Math.round(report.wallSeconds)} s wall time. Generated by \`npm run bench${report.command === '' ? '' : ` -- ${report.command}`}\`; do not edit.`,
    '',
  );
  lines.push('| | |', '|---|---|');
  for (const [key, value] of Object.entries(report.environment)) lines.push(`| ${key} | ${value} |`);
  for (const [key, value] of Object.entries(report.dataset)) lines.push(`| ${key} | ${value} |`);
  lines.push('');

  const vsBaseline = report.comparisons.filter((c) => c.against === 'baseline');
  if (vsBaseline.length > 0) {
    const other = vsBaseline[0]?.sides[1].label ?? 'baseline';
    lines.push(other === 'baseline' ? '## Taskwright vs the bare baseline' : `## Taskwright vs ${other}`, '');
    lines.push(
      `Medians over the rounds. Ratio = Taskwright / ${other} req/s; rounds = that ratio per round pair. CPU = server CPU time per response (less sensitive to a noisy machine than req/s).`,
      '',
    );
    const redis = vsBaseline.some((c) => c.sides[0].redisCommandsPerRequest !== undefined);
    lines.push(
      `| Scenario | Taskwright req/s | ${other} req/s | Ratio | Rounds | p50 ms A / B | p99 ms A / B | CPU µs/req A / B |${redis ? ' Redis cmds/req A / B |' : ''} Failed A / B | Peak RSS MiB A / B |`,
    );
    lines.push(`|---|---:|---:|---:|---|---:|---:|---:|${redis ? '---:|' : ''}---|---:|`);
    for (const c of vsBaseline) {
      const [tw, base] = c.sides;
      const commands = redis
        ? ` ${formatFixed(tw.redisCommandsPerRequest ?? Number.NaN, 1)} / ${formatFixed(base.redisCommandsPerRequest ?? Number.NaN, 1)} |`
        : '';
      lines.push(
        `| ${c.hasErrors ? '⚠ ' : ''}\`${c.id}\` ${c.title} | ${formatInt(tw.rps)} | ${formatInt(base.rps)} | ${ratio(c.rpsRatio)} | ${roundRatios(c)} | ${tw.p50} / ${base.p50} | ${tw.p99} / ${base.p99} | ${formatInt(tw.cpuMicrosPerRequest)} / ${formatInt(base.cpuMicrosPerRequest)} |${commands} ${statusSummary(tw)} / ${statusSummary(base)} | ${formatFixed(tw.peakRssMiB, 0)} / ${formatFixed(base.peakRssMiB, 0)} |`,
      );
    }
    lines.push('');
  }
  if (!report.comparisons.some((c) => c.against === 'baseline' && c.sides[1].label !== 'baseline')) lines.push(...renderSharing(report.comparisons));

  const self = report.comparisons.filter((c) => c.against === 'self');
  if (self.length > 0) {
    lines.push('## Taskwright against itself', '');
    lines.push('| Scenario | A / B | req/s A / B | p50 ms A / B | p99 ms A / B | p50 ratio | p99 ratio | Failed A / B | Peak RSS MiB |');
    lines.push('|---|---|---:|---:|---:|---:|---:|---|---:|');
    for (const c of self) {
      const [a, b] = c.sides;
      lines.push(
        `| ${c.hasErrors ? '⚠ ' : ''}\`${c.id}\` ${c.title} | ${a.label} / ${b.label} | ${formatInt(a.rps)} / ${formatInt(b.rps)} | ${a.p50} / ${b.p50} | ${a.p99} / ${b.p99} | ${ratio(c.p50Ratio)} | ${ratio(c.p99Ratio)} | ${statusSummary(a)} / ${statusSummary(b)} | ${formatFixed(Math.max(a.peakRssMiB, b.peakRssMiB), 0)} |`,
      );
      if (a.background) {
        lines.push(
          `| ↳ logins during \`${c.id}\` | | ${formatFixed(a.background.rps, 1)}/s | ${a.background.p50} | ${a.background.p99} | | | ${a.background.unexpected + a.background.errors > 0 ? `⚠ ${a.background.unexpected + a.background.errors}` : '0'} | |`,
        );
      }
    }
    lines.push('');
  }

  lines.push('## Targets (informational: never a failing exit code)', '');
  lines.push('| Target | Measured | |', '|---|---|---|');
  for (const t of report.targets) lines.push(`| ${t.name} | ${t.measured} | ${MARK(t.met)} |`);
  lines.push('');

  lines.push('## How each scenario is built', '');
  for (const c of report.comparisons) {
    lines.push(
      `- \`${c.id}\`: ${c.note}. Machine: load average ${formatFixed(c.loadAverage, 1)} at the start, ${formatFixed(c.machineBusyPercent, 0)} % of all CPUs busy during it.`,
    );
  }
  lines.push('');

  const failed = report.comparisons.flatMap((c) => c.sides.filter((s) => Object.keys(s.unexpectedSamples).length > 0).map((s) => ({ c, s })));
  if (failed.length > 0) {
    lines.push('## Failed responses (first body per status)', '');
    for (const { c, s } of failed) {
      for (const [status, body] of Object.entries(s.unexpectedSamples))
        lines.push(`- \`${c.id}\` ${s.label} ${status}: \`${body.replace(/`/g, "'").slice(0, 240)}\``);
    }
    lines.push('');
  }

  lines.push('## Same work on both sides (parity probes)', '');
  if (report.parity.length === 0) lines.push('- not run');
  for (const p of report.parity) lines.push(`- ${p.ok ? '✅' : '⚠'} ${p.probe}: ${p.detail}`);
  lines.push('');

  lines.push('## Server settings', '');
  for (const [key, value] of Object.entries(report.serverSettings)) lines.push(`- \`${key}\`: ${value}`);
  lines.push('');

  if (report.profiles.length > 0) {
    lines.push('## CPU profiles', '');
    for (const p of report.profiles) lines.push(`### ${p.scenario}`, '', `Full report: [${p.file}](${p.file})`, '', p.summary, '');
  }
  if (report.notes.length > 0) {
    lines.push('## Notes', '');
    for (const note of report.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** A compact table for the terminal. */
export function renderConsole(report: BenchReport): string {
  const rows: string[][] = [['scenario', 'A req/s', 'B req/s', 'ratio', 'p50 A/B', 'p99 A/B', 'failed A/B', 'RSS MiB A/B']];
  for (const c of report.comparisons) {
    const [a, b] = c.sides;
    rows.push([
      `${c.hasErrors ? '!' : ' '}${c.id} (${a.label} vs ${b.label})`,
      formatInt(a.rps),
      formatInt(b.rps),
      c.against === 'baseline' ? ratio(c.rpsRatio) : `p99 ${ratio(c.p99Ratio)}`,
      `${a.p50}/${b.p50}`,
      `${a.p99}/${b.p99}`,
      `${a.unexpected + a.errors}/${b.unexpected + b.errors}`,
      `${formatFixed(a.peakRssMiB, 0)}/${formatFixed(b.peakRssMiB, 0)}`,
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const out = rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
  out.push('', 'targets:');
  for (const t of report.targets) out.push(`  ${MARK(t.met).padEnd(10)} ${t.name}: ${t.measured}`);
  return out.join('\n');
}
