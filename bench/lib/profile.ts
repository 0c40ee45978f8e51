import { readFileSync } from 'node:fs';

/** The parts of V8's .cpuprofile format (written by `node --cpu-prof`) that are read here. */
interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where the compiled app and benchmark live (see run.ts); frames from there are Taskwright's own. */
const BUILD_MARKER = '/node_modules/.cache/taskwright-bench/';

/** Who a piece of Taskwright's code belongs to, by its path in the build. First match wins. */
const OWN_CODE: Array<[RegExp, string]> = [
  [/^src\/auth\/rate-limit\//, 'rate limiting (@nestjs/throttler)'],
  [/^src\/auth\//, 'auth guards, session check (Taskwright)'],
  [/^src\/common\/logging\//, 'logging (pino)'],
  [/^src\/metrics\//, 'metrics (prom-client)'],
  [/^src\/common\/cache\//, 'user cache (Taskwright)'],
  [/^src\/common\/http\//, 'ETag, cache headers (Taskwright)'],
  [/^src\/common\//, 'other common (Taskwright)'],
  [/^src\/tasks\//, 'tasks controller, service, mapper (Taskwright)'],
  [/^src\//, 'other Taskwright code'],
  [/^bench\/baseline\//, 'baseline server (bench/baseline)'],
  [/^bench\/experiments\//, 'experiment preload (bench/experiments)'],
  [/^bench\//, 'benchmark preload (SQL capture)'],
];

/** Who a dependency's code belongs to, by package. First match wins. */
const PACKAGES: Array<[RegExp, string]> = [
  [/^(jsonwebtoken|jws|jwa|passport|passport-jwt|passport-strategy|@nestjs\/passport|@nestjs\/jwt)\//, 'JWT verification (passport-jwt, jsonwebtoken)'],
  [/^@nestjs\/throttler\//, 'rate limiting (@nestjs/throttler)'],
  [
    /^(class-validator|class-transformer|validator|libphonenumber-js)\/|^@nestjs\/common\/pipes\//,
    'validation (ValidationPipe, class-validator, class-transformer)',
  ],
  [
    /^(pino|pino-http|nestjs-pino|sonic-boom|pino-std-serializers|fast-redact|@pinojs\/[^/]+|on-exit-leak-free|thread-stream|quick-format-unescaped|atomic-sleep|fast-safe-stringify)\//,
    'logging (pino)',
  ],
  [/^(prom-client|tdigest|bintrees)\//, 'metrics (prom-client)'],
  [/^rxjs\//, 'rxjs (interceptor plumbing)'],
  [/^typeorm\//, 'TypeORM'],
  [
    /^(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-array|postgres-date|postgres-interval|postgres-bytea|pgpass|split2)\//,
    'node-postgres (driver, row parsing)',
  ],
  [/^(cache-manager|keyv|@keyv\/[^/]+|@cacheable\/[^/]+|cacheable|hookified|qified|@nestjs\/cache-manager)\//, 'cache store (cache-manager, Keyv)'],
  [/^(@redis\/[^/]+|redis)\//, 'Redis client'],
  [
    /^(@nestjs\/core|@nestjs\/common|@nestjs\/platform-fastify|reflect-metadata|iterare|path-to-regexp|uid|tslib)\//,
    'Nest core (router, guards/interceptors chain, context)',
  ],
  [
    /^(fastify|@fastify\/[^/]+|find-my-way|light-my-request|avvio|fast-json-stringify|secure-json-parse|fast-querystring|abstract-logging|toad-cache|process-warning|rfdc|ret|safe-regex2|fastq|reusify|content-type|fast-uri)\//,
    'Fastify',
  ],
  [/./, 'other dependencies'],
];

function ownerOf(url: string): string | undefined {
  if (url === '' || url.startsWith('node:')) return undefined;
  const own = url.indexOf(BUILD_MARKER);
  if (own >= 0) {
    const path = url.slice(own + BUILD_MARKER.length);
    for (const [pattern, owner] of OWN_CODE) if (pattern.test(path)) return owner;
    return 'other Taskwright code';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm < 0) return undefined;
  const path = url.slice(nm + '/node_modules/'.length);
  for (const [pattern, owner] of PACKAGES) if (pattern.test(path)) return owner;
  return undefined;
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const own = url.indexOf(BUILD_MARKER);
  if (own >= 0) return url.slice(own + BUILD_MARKER.length);
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  return url.replace(/^file:\/\//, '');
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle: what the process spent working. */
  busyMs: number;
  owners: Array<{ owner: string; ms: number; share: number }>;
  topSelf: Array<{ frame: string; ms: number; share: number }>;
  markdown: string;
  /** A few lines for the main results file. */
  brief: string;
}

/**
 * Self time per function, and a breakdown of the busy time by owner: each sample is charged to the
 * innermost frame that belongs to a known package or Taskwright file (so JSON.stringify called from
 * etagOf counts as "ETag", a socket write from pino as "logging"); samples with no such frame
 * (libuv callbacks into the HTTP parser, say) are "Node core", plus GC and "(program)".
 */
export function analyseProfile(file: string, requests: number, title: string, window?: { startUs: number; endUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfMs = new Map<number, number>();
  let totalMs = 0;
  // Sample times are CLOCK_MONOTONIC microseconds, like process.hrtime in the benchmark, so only the
  // load window is counted (not start-up or shutdown).
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.startUs || at > window.endUs)) continue;
    const id = profile.samples[i] as number;
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
    totalMs += ms;
  }

  const ownerCache = new Map<number, string>();
  const ownerOfNode = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached !== undefined) return cached;
    const node = nodes.get(id);
    let owner: string;
    if (!node) owner = 'Node core';
    else if (node.callFrame.functionName === '(idle)') owner = '(idle)';
    else if (node.callFrame.functionName === '(garbage collector)') owner = 'garbage collection';
    else if (node.callFrame.functionName === '(program)') owner = '(program: native, not attributed)';
    else {
      const direct = ownerOf(node.callFrame.url);
      const up = parent.get(id);
      owner = direct ?? (up === undefined ? 'Node core (http, net, timers)' : ownerOfNode(up));
      if (owner === '(idle)' || owner.startsWith('(program')) owner = 'Node core (http, net, timers)';
    }
    ownerCache.set(id, owner);
    return owner;
  };
  // Frames below the root with no owner anywhere above them are Node's own (the root has no url).
  const ownerTotals = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const owner = ownerOfNode(id);
    ownerTotals.set(owner, (ownerTotals.get(owner) ?? 0) + ms);
  }
  const idleMs = ownerTotals.get('(idle)') ?? 0;
  const busyMs = totalMs - idleMs;
  const owners = [...ownerTotals.entries()]
    .filter(([owner]) => owner !== '(idle)')
    .map(([owner, ms]) => ({ owner, ms, share: ms / busyMs }))
    .sort((a, b) => b.ms - a.ms);

  const frameTotals = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = nodes.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name} ${shortUrl(node.callFrame.url)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    frameTotals.set(key, (frameTotals.get(key) ?? 0) + ms);
  }
  const topSelf = [...frameTotals.entries()]
    .map(([frame, ms]) => ({ frame, ms, share: ms / busyMs }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 30);

  const perRequest = (ms: number): string => (requests > 0 ? ((ms * 1000) / requests).toFixed(1) : 'n/a');
  const lines: string[] = [];
  lines.push(`# CPU profile: ${title}`, '');
  lines.push(
    `${(totalMs / 1000).toFixed(1)} s profiled, ${(busyMs / 1000).toFixed(1)} s busy (${((busyMs / totalMs) * 100).toFixed(0)} % of the main thread), ` +
      `${requests.toLocaleString('en-US')} responses: ${perRequest(busyMs)} µs of main-thread CPU per request.`,
    '',
    '## Busy time by owner',
    '',
    'Each sample is charged to the innermost frame that belongs to a known package or Taskwright file.',
    '',
    '| Owner | share of busy | µs/request |',
    '|---|---:|---:|',
  );
  for (const o of owners) lines.push(`| ${o.owner} | ${(o.share * 100).toFixed(1)} % | ${perRequest(o.ms)} |`);
  lines.push('', '## Top 30 functions by self time', '', '| Function | self share | µs/request |', '|---|---:|---:|');
  for (const f of topSelf) lines.push(`| \`${f.frame.replace(/\|/g, '\\|')}\` | ${(f.share * 100).toFixed(1)} % | ${perRequest(f.ms)} |`);
  const brief = [
    `${perRequest(busyMs)} µs main-thread CPU per request; by owner:`,
    '',
    '| Owner | share | µs/req |',
    '|---|---:|---:|',
    ...owners.slice(0, 14).map((o) => `| ${o.owner} | ${(o.share * 100).toFixed(1)} % | ${perRequest(o.ms)} |`),
  ].join('\n');
  return { totalMs, busyMs, owners, topSelf, markdown: `${lines.join('\n')}\n`, brief };
}
