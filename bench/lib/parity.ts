import { readFileSync } from 'node:fs';
import { type Account, getJson, sendJson } from './accounts';
import type { ParityFinding } from './report';
import type { Fleet, TaskPool } from './scenarios';
import { createdTaskTitle } from './seed';
import type { ServerProcess } from './servers';
import type { SharingFixture } from './sharing';
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

/**
 * The session check's query on a miss (bench/baseline/sessions.ts, SessionsRepository). Both servers
 * remember its answer for 5 s in one shared place (the same Redis key), so during a long probe on a
 * loaded machine whichever server finds it expired first runs it, and the other does not: the
 * comparison leaves these out (and says how many) rather than report a difference of timing.
 */
const SESSION_CHECK = /FROM sessions s JOIN users u ON u\.id = s\.user_id WHERE s\.id = \$1$/;

function compareSql(probe: string, twId: string, baseId: string, captured: Map<string, string[]>): ParityFinding {
  const all = [captured.get(twId) ?? [], captured.get(baseId) ?? []];
  const [tw = [], base = []] = all.map((statements) => statements.filter((statement) => !SESSION_CHECK.test(statement)));
  const sessionChecks = all.map((statements, index) => statements.length - (index === 0 ? tw : base).length);
  const aside = sessionChecks.some((n) => n > 0) ? ` (session checks left out: ${sessionChecks.join(' vs ')})` : '';
  const twOnly = tw.filter((s) => !base.includes(s));
  const baseOnly = base.filter((s) => !tw.includes(s));
  if (tw.length === 0 && base.length === 0) return { probe: `${probe}: SQL`, ok: true, detail: 'no statement on either side (served from cache)' };
  if (twOnly.length === 0 && baseOnly.length === 0 && tw.length === base.length) {
    return {
      probe: `${probe}: SQL`,
      ok: true,
      detail: `identical statements (${tw.length})${aside}: ${tw.map((s) => `\`${s.slice(0, 90)}${s.length > 90 ? '…' : ''}\``).join('; ')}`,
    };
  }
  return {
    probe: `${probe}: SQL`,
    ok: false,
    detail: `Taskwright only: ${twOnly.map((s) => `\`${s}\``).join('; ') || 'none'}; baseline only: ${baseOnly.map((s) => `\`${s}\``).join('; ') || 'none'} (counts ${tw.length} vs ${base.length})${aside}`,
  };
}

const COMPARED_HEADERS = ['etag', 'cache-control', 'content-type'];
const PRESENT_HEADERS = ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The JSON text with these fields (at any depth) set to "…": what differs between two equal writes. */
function blanked(text: string, fields: readonly string[]): string {
  try {
    return JSON.stringify(JSON.parse(text), (key, value: unknown) => (fields.includes(key) ? '…' : value));
  } catch {
    return text;
  }
}

/**
 * `compareBody`: true compares the bodies byte for byte; false only their top-level fields and the
 * ETag's shape (created resources have different ids and the same task written twice a new
 * version); a list of field names compares the bodies with those fields blanked (the ETag exactly).
 */
function compareResponses(probe: string, tw: Response, base: Response, compareBody: boolean | readonly string[]): ParityFinding {
  const problems: string[] = [];
  if (tw.status !== base.status) problems.push(`status ${tw.status} vs ${base.status}`);
  const shape = (value: string | null): string | null =>
    compareBody !== false ? value : (value?.replace(UUID, '<id>').replace(/<id>\.\d+/, '<id>.<version>') ?? null);
  for (const name of COMPARED_HEADERS) {
    const a = shape(tw.headers.get(name));
    const b = shape(base.headers.get(name));
    if (a !== b) problems.push(`${name} ${String(a)} vs ${String(b)}`);
  }
  for (const name of PRESENT_HEADERS) {
    if ((tw.headers.get(name) === null) !== (base.headers.get(name) === null))
      problems.push(`${name} present ${tw.headers.get(name) !== null} vs ${base.headers.get(name) !== null}`);
  }
  if (compareBody === true && tw.text !== base.text)
    problems.push(`bodies differ (${tw.text.length} vs ${base.text.length} bytes): ${tw.text.slice(0, 120)} | ${base.text.slice(0, 120)}`);
  if (Array.isArray(compareBody)) {
    const [a, b] = [blanked(tw.text, compareBody), blanked(base.text, compareBody)];
    if (a !== b) problems.push(`bodies differ beyond ${compareBody.join(', ')}: ${a.slice(0, 160)} | ${b.slice(0, 160)}`);
  }
  if (compareBody === false) {
    const keys = (r: Response): string => (typeof r.body === 'object' && r.body !== null ? Object.keys(r.body).join(',') : typeof r.body);
    if (keys(tw) !== keys(base)) problems.push(`body fields ${keys(tw)} vs ${keys(base)}`);
  }
  return {
    probe,
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `same status (${tw.status}), headers${compareBody === true ? ' and body' : compareBody === false ? ' and body fields' : ` and body but ${compareBody.join(', ')}`}`
        : problems.join('; '),
  };
}

/**
 * Sends the same requests to Taskwright and to the baseline and compares what comes back (status,
 * ETag, Cache-Control, Content-Type, the presence of X-Request-Id and X-RateLimit-*, the body) and
 * what each sent to PostgreSQL. Run before the timed scenarios, so a baseline that drifted from
 * Taskwright's behaviour shows up in the report instead of flattering a ratio.
 */
export async function checkParity(
  fleet: Fleet,
  accounts: Account[],
  pool: TaskPool,
  sqlFiles: Map<string, string>,
  sharing: { deepAccount: Account; fixture: SharingFixture },
): Promise<ParityFinding[]> {
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
  findings.push(...(await checkSharingParity(fleet, sqlFiles, sharing.deepAccount, sharing.fixture, probeGet)));
  return findings;
}

type ProbeGet = (probe: string, cache: boolean, path: string, token: string, headers?: Record<string, string>, compareBody?: boolean) => Promise<void>;

type Send = (baseUrl: string, method: 'PUT' | 'PATCH' | 'DELETE', path: string, token: string, body?: unknown) => Promise<Response>;

const send: Send = async (baseUrl, method, path, token, body) => {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
};

/**
 * Sharing, as the deep owner (who owns a million tasks and has thousands shared with them): the
 * mixed list and its narrowed scopes, a deep page of it, the read of a shared task, an update by
 * an editor grantee (its audience invalidated), and a grant's whole life on each server in turn
 * (new 201, same role again 409, role changed 200, revoked 204), same responses and same SQL.
 */
async function checkSharingParity(
  fleet: Fleet,
  sqlFiles: Map<string, string>,
  deep: Account,
  fixture: SharingFixture,
  probeGet: ProbeGet,
): Promise<ParityFinding[]> {
  const findings: ParityFinding[] = [];
  const token = deep.accessToken;
  const sharedId = fixture.sharedTaskIds[0];
  const pair = fixture.grantPairs[0];
  if (sharedId === undefined || pair === undefined) return [{ probe: 'sharing parity', ok: false, detail: 'no shared task or grant pair to probe with' }];

  const paths = {
    mixed: '/v1/tasks?limit=20',
    shared: '/v1/tasks?limit=20&scope=shared',
    own: '/v1/tasks?limit=5&scope=own&sort=-priority',
    deep: `/v1/tasks?limit=20&cursor=${encodeURIComponent(fixture.mixedDeepCursor)}`,
    read: `/v1/tasks/${sharedId}`,
  };
  // Each read once on both servers first, so PostgreSQL has the pages (a cold deep page can take
  // seconds): otherwise the session answer one server remembered for 5 s may have expired by its
  // captured request while the other's is fresh, and the capture shows a session query on one side.
  for (const probePath of Object.values(paths)) {
    await getJson(fleet.twNoCache.url, probePath, token);
    await getJson(fleet.baseNoCache.url, probePath, token);
  }
  // probeGet records its findings in checkParity's list, before the ones returned here.
  await probeGet('GET /v1/tasks?limit=20 as the deep owner: own + shared (cache off)', false, paths.mixed, token);
  await probeGet('GET /v1/tasks?limit=20&scope=shared (cache off)', false, paths.shared, token);
  await probeGet('GET /v1/tasks?limit=5&scope=own&sort=-priority (cache off)', false, paths.own, token);
  await probeGet(
    `GET /v1/tasks?limit=20&cursor=… ${fixture.mixedDepth.toLocaleString('en-US')} rows into the mixed list (cache off)`,
    false,
    paths.deep,
    token,
  );
  await probeGet('GET /v1/tasks/{id} of a task shared with the caller (cache off)', false, paths.read, token);
  await probeGet('GET /v1/tasks/{id} of a task shared with the caller (cache on, a hit)', true, paths.read, token);

  // The session answers of the deep owner's token, on both cache-on servers, before capturing.
  await getJson(fleet.twCache.url, '/v1/tasks?limit=1', token);
  await getJson(fleet.baseCache.url, '/v1/tasks?limit=1', token);

  // An editor's update: the policy's condition in the UPDATE, the access-aware ETag, the audience.
  let patchTw: Response | undefined;
  let patchBase: Response | undefined;
  const patchSql = await captureSql([fleet.twCache, fleet.baseCache], sqlFiles, async () => {
    patchTw = await send(fleet.twCache.url, 'PATCH', `/v1/tasks/${fixture.editorTaskId}`, token, { priority: 'high' });
    patchBase = await send(fleet.baseCache.url, 'PATCH', `/v1/tasks/${fixture.editorTaskId}`, token, { priority: 'high' });
  });
  if (patchTw && patchBase) {
    const finding = compareResponses('PATCH /v1/tasks/{id} by an editor grantee', patchTw, patchBase, false);
    const suffix = [patchTw.headers.get('etag'), patchBase.headers.get('etag')];
    if (!suffix.every((etag) => etag?.endsWith('.editor"'))) {
      finding.ok = false;
      finding.detail += `; ETags ${suffix.join(' vs ')} (expected the .editor suffix)`;
    }
    findings.push(finding);
  }
  findings.push(compareSql('PATCH by an editor grantee', fleet.twCache.spec.id, fleet.baseCache.spec.id, patchSql));

  // A grant's life on Taskwright, then the same on the baseline (same pair: each ends revoked).
  const path = `/v1/tasks/${pair.taskId}/shares`;
  const life = async (url: string): Promise<Response[]> => [
    await send(url, 'PUT', path, token, { email: pair.granteeEmail, role: 'viewer' }),
    await send(url, 'PUT', path, token, { email: pair.granteeEmail, role: 'viewer' }),
    await send(url, 'PUT', path, token, { email: pair.granteeEmail, role: 'editor' }),
    await send(url, 'DELETE', `${path}/${pair.granteeId}`, token),
  ];
  let lifeTw: Response[] = [];
  let lifeBase: Response[] = [];
  const lifeSql = await captureSql([fleet.twCache, fleet.baseCache], sqlFiles, async () => {
    lifeTw = await life(fleet.twCache.url);
    lifeBase = await life(fleet.baseCache.url);
  });
  const steps = ['PUT …/shares: a new grant', 'PUT …/shares: the same role again', 'PUT …/shares: another role', 'DELETE …/shares/{userId}'];
  steps.forEach((step, index) => {
    const tw = lifeTw[index];
    const base = lifeBase[index];
    if (!tw || !base) return;
    const finding = compareResponses(step, tw, base, ['createdAt', 'requestId']);
    const expected = [201, 409, 200, 204][index];
    if (tw.status !== expected) {
      finding.ok = false;
      finding.detail += `; expected ${expected}, got ${tw.status}: ${tw.text.slice(0, 160)}`;
    }
    const locations = [tw.headers.get('location'), base.headers.get('location')];
    if (locations[0] !== locations[1]) {
      finding.ok = false;
      finding.detail += `; Location ${locations.join(' vs ')}`;
    }
    findings.push(finding);
  });
  findings.push(compareSql('a grant, again, another role, revoked', fleet.twCache.spec.id, fleet.baseCache.spec.id, lifeSql));
  return findings;
}
