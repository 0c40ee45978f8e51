import { readFileSync } from 'node:fs';
import { type Account, getJson, sendJson } from './accounts';
import type { ParityFinding } from './report';
import type { Fleet, TaskPool } from './scenarios';
import { createdTaskTitle } from './seed';
import type { ServerProcess } from './servers';
import { sleep } from './util';

type Response = Awaited<ReturnType<typeof getJson>>;

/** The statements a server sent while capturing (see sql-capture.ts), whitespace-collapsed and sorted. */
async function captureSql(servers: ServerProcess[], files: Map<string, string>, act: () => Promise<void>): Promise<Map<string, string[]>> {
  for (const server of servers) server.signal('SIGUSR2');
  await sleep(150);
  await act();
  await sleep(250);
  for (const server of servers) server.signal('SIGUSR2');
  await sleep(150);
  const result = new Map<string, string[]>();
  for (const server of servers) {
    const file = files.get(server.spec.id);
    if (file === undefined) continue;
    const text = readFileSync(file, 'utf8');
    const start = text.lastIndexOf('-- capture on\n');
    const end = text.lastIndexOf('-- capture off');
    const block = start >= 0 && end > start ? text.slice(start + '-- capture on\n'.length, end) : '';
    result.set(
      server.spec.id,
      block
        .split('\n')
        .filter((line) => line.trim() !== '')
        .sort(),
    );
  }
  return result;
}

function compareSql(probe: string, twId: string, baseId: string, captured: Map<string, string[]>): ParityFinding {
  const tw = captured.get(twId) ?? [];
  const base = captured.get(baseId) ?? [];
  const twOnly = tw.filter((s) => !base.includes(s));
  const baseOnly = base.filter((s) => !tw.includes(s));
  if (tw.length === 0 && base.length === 0) return { probe: `${probe}: SQL`, ok: true, detail: 'no statement on either side (served from cache)' };
  if (twOnly.length === 0 && baseOnly.length === 0 && tw.length === base.length) {
    return {
      probe: `${probe}: SQL`,
      ok: true,
      detail: `identical statements (${tw.length}): ${tw.map((s) => `\`${s.slice(0, 90)}${s.length > 90 ? '…' : ''}\``).join('; ')}`,
    };
  }
  return {
    probe: `${probe}: SQL`,
    ok: false,
    detail: `Taskwright only: ${twOnly.map((s) => `\`${s}\``).join('; ') || 'none'}; baseline only: ${baseOnly.map((s) => `\`${s}\``).join('; ') || 'none'} (counts ${tw.length} vs ${base.length})`,
  };
}

const COMPARED_HEADERS = ['etag', 'cache-control', 'content-type'];
const PRESENT_HEADERS = ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

function compareResponses(probe: string, tw: Response, base: Response, compareBody: boolean): ParityFinding {
  const problems: string[] = [];
  if (tw.status !== base.status) problems.push(`status ${tw.status} vs ${base.status}`);
  // Created resources have different ids: compare the ETag's shape then, not its value.
  const shape = (value: string | null): string | null =>
    compareBody ? value : (value?.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>') ?? null);
  for (const name of COMPARED_HEADERS) {
    const a = shape(tw.headers.get(name));
    const b = shape(base.headers.get(name));
    if (a !== b) problems.push(`${name} ${String(a)} vs ${String(b)}`);
  }
  for (const name of PRESENT_HEADERS) {
    if ((tw.headers.get(name) === null) !== (base.headers.get(name) === null))
      problems.push(`${name} present ${tw.headers.get(name) !== null} vs ${base.headers.get(name) !== null}`);
  }
  if (compareBody && tw.text !== base.text)
    problems.push(`bodies differ (${tw.text.length} vs ${base.text.length} bytes): ${tw.text.slice(0, 120)} | ${base.text.slice(0, 120)}`);
  if (!compareBody) {
    const keys = (r: Response): string => (typeof r.body === 'object' && r.body !== null ? Object.keys(r.body).join(',') : typeof r.body);
    if (keys(tw) !== keys(base)) problems.push(`body fields ${keys(tw)} vs ${keys(base)}`);
  }
  return {
    probe,
    ok: problems.length === 0,
    detail: problems.length === 0 ? `same status (${tw.status}), headers${compareBody ? ' and body' : ' and body fields'}` : problems.join('; '),
  };
}

/**
 * Sends the same requests to Taskwright and to the baseline and compares what comes back (status,
 * ETag, Cache-Control, Content-Type, the presence of X-Request-Id and X-RateLimit-*, the body) and
 * what each sent to PostgreSQL. Run before the timed scenarios, so a baseline that drifted from
 * Taskwright's behaviour shows up in the report instead of flattering a ratio.
 */
export async function checkParity(fleet: Fleet, accounts: Account[], pool: TaskPool, sqlFiles: Map<string, string>): Promise<ParityFinding[]> {
  const findings: ParityFinding[] = [];
  const account = accounts[0];
  const task = pool.all[0];
  if (!account || !task) return [{ probe: 'parity', ok: false, detail: 'no account or task to probe with' }];
  const owner = accounts[task.ownerIndex] ?? account;

  const probeGet = async (
    probe: string,
    cache: boolean,
    path: string,
    token: string,
    headers: Record<string, string> = {},
    compareBody = true,
  ): Promise<void> => {
    const tw = cache ? fleet.twCache : fleet.twNoCache;
    const base = cache ? fleet.baseCache : fleet.baseNoCache;
    // Once unobserved, so both have the session answer (and, with the cache on, the entry) already.
    await getJson(tw.url, path, token, headers);
    await getJson(base.url, path, token, headers);
    let twResponse: Response | undefined;
    let baseResponse: Response | undefined;
    const captured = await captureSql([tw, base], sqlFiles, async () => {
      twResponse = await getJson(tw.url, path, token, headers);
      baseResponse = await getJson(base.url, path, token, headers);
    });
    if (twResponse && baseResponse) findings.push(compareResponses(probe, twResponse, baseResponse, compareBody));
    findings.push(compareSql(probe, tw.spec.id, base.spec.id, captured));
  };

  await probeGet('GET /v1/tasks?limit=20 (cache off)', false, '/v1/tasks?limit=20', account.accessToken);
  await probeGet('GET /v1/tasks?limit=20 (cache on, a hit)', true, '/v1/tasks?limit=20', account.accessToken);
  await probeGet('GET /v1/tasks?limit=20&q=report (cache off)', false, '/v1/tasks?limit=20&q=report', account.accessToken);
  await probeGet('GET /v1/tasks?status=done&sort=-priority&limit=5 (cache off)', false, '/v1/tasks?status=done&sort=-priority&limit=5', account.accessToken);
  await probeGet('GET /v1/tasks/{id} (cache off)', false, `/v1/tasks/${task.id}`, owner.accessToken);
  await probeGet('GET /v1/tasks/{id} + If-None-Match (cache on)', true, `/v1/tasks/${task.id}`, owner.accessToken, { 'if-none-match': task.etag });

  // Unknown query parameter: both refuse it.
  const badTw = await getJson(fleet.twNoCache.url, '/v1/tasks?limit=20&bogus=1', account.accessToken);
  const badBase = await getJson(fleet.baseNoCache.url, '/v1/tasks?limit=20&bogus=1', account.accessToken);
  findings.push({
    probe: 'GET /v1/tasks?bogus=1',
    ok: badTw.status === badBase.status,
    detail: `status ${badTw.status} vs ${badBase.status}`,
  });

  // A stale If-Match: 412 on both, nothing changed.
  const stale = { 'if-match': `"${task.id}.999999"` };
  let staleTw: Response | undefined;
  let staleBase: Response | undefined;
  const staleSql = await captureSql([fleet.twCache, fleet.baseCache], sqlFiles, async () => {
    staleTw = await sendJson(fleet.twCache.url, 'PATCH', `/v1/tasks/${task.id}`, owner.accessToken, { priority: 'high' }, stale);
    staleBase = await sendJson(fleet.baseCache.url, 'PATCH', `/v1/tasks/${task.id}`, owner.accessToken, { priority: 'high' }, stale);
  });
  if (staleTw && staleBase) findings.push(compareResponses('PATCH /v1/tasks/{id} with a stale If-Match', staleTw, staleBase, false));
  findings.push(compareSql('PATCH with a stale If-Match', fleet.twCache.spec.id, fleet.baseCache.spec.id, staleSql));

  // A create on each: same status, headers and fields (ids differ, of course).
  let createdTw: Response | undefined;
  let createdBase: Response | undefined;
  const body = { title: createdTaskTitle(0), priority: 'high', tags: ['bench'] };
  const createSql = await captureSql([fleet.twCache, fleet.baseCache], sqlFiles, async () => {
    createdTw = await sendJson(fleet.twCache.url, 'POST', '/v1/tasks', account.accessToken, body);
    createdBase = await sendJson(fleet.baseCache.url, 'POST', '/v1/tasks', account.accessToken, body);
  });
  if (createdTw && createdBase) {
    const finding = compareResponses('POST /v1/tasks', createdTw, createdBase, false);
    const locations = [createdTw.headers.get('location'), createdBase.headers.get('location')];
    if (!locations.every((l) => l !== null && /^\/v1\/tasks\/[0-9a-f-]{36}$/.test(l))) {
      finding.ok = false;
      finding.detail += `; Location ${locations.join(' vs ')}`;
    }
    findings.push(finding);
  }
  // The INSERT differs only in its parameters; compare the statement texts.
  findings.push(compareSql('POST /v1/tasks', fleet.twCache.spec.id, fleet.baseCache.spec.id, createSql));
  return findings;
}
