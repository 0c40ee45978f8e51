import { Client } from 'pg';
import { taskEtag } from '../../src/tasks/task-etag';
import { TaskCursorCodec } from '../../src/tasks/task-cursor';
import type { Account } from './accounts';
import { getJson } from './accounts';
import type { PlannedRequest, RequestPlan } from './load';
import { againstTaskwright, type BenchOptions, versusLabel } from './options';
import type { Comparison } from './runner';
import { BENCH_PASSWORD, createdTaskTitle, resetDeepOwnerGrants, SEARCH_TERMS } from './seed';
import type { ServerProcess } from './servers';
import type { GrantPair, SharingFixture } from './sharing';
import { cycle, sleep } from './util';

export interface Fleet {
  /** Taskwright with the default cache (CACHE_TTL_MS=60000). */
  twCache: ServerProcess;
  /** Taskwright with the cache off (CACHE_TTL_MS=0). */
  twNoCache: ServerProcess;
  baseCache: ServerProcess;
  baseNoCache: ServerProcess;
}

export interface ScenarioContext {
  options: BenchOptions;
  fleet: Fleet;
  databaseUrl: string;
  jwtSecret: string;
  accounts: Account[];
  deepAccount: Account;
  /** Emails the login burst cycles through. */
  loginEmails: string[];
  pool: TaskPool;
  /** Taskwright's cold-list req/s measured in this run (the login burst runs its list at a fraction of it). */
  coldListRps?: number;
  /** The deep owner's shared tasks, mixed-list cursor and grant pairs (the sharing scenarios). */
  sharing: SharingFixture;
}

function bearer(account: Account): Record<string, string> {
  return { authorization: `Bearer ${account.accessToken}` };
}

interface TrackedTask {
  id: string;
  ownerIndex: number;
  etag: string;
}

/**
 * Tasks of the logged-in accounts with their current ETags, for the conditional GET and the
 * PATCH scenarios. A PATCH whose response never arrived (cut off at the end of a round) leaves its
 * task out until `resync()` reads the true versions back from PostgreSQL.
 */
export class TaskPool {
  private free: TrackedTask[] = [];
  private readonly inFlight = new Map<string, TrackedTask>();
  readonly all: TrackedTask[] = [];

  constructor(
    private readonly databaseUrl: string,
    private readonly accounts: Account[],
  ) {}

  async load(perAccount: number): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'taskwright-bench' });
    await client.connect();
    try {
      const ids = this.accounts.map((a) => a.userId);
      const { rows } = await client.query<{ id: string; owner_id: string; version: number }>(
        `SELECT id, owner_id, version FROM (
           SELECT id, owner_id, version, row_number() OVER (PARTITION BY owner_id ORDER BY id) AS n
           FROM tasks WHERE owner_id = ANY($1::uuid[]) AND deleted_at IS NULL AND title NOT LIKE 'bench-created %'
         ) t WHERE n <= $2`,
        [ids, perAccount],
      );
      const index = new Map(ids.map((id, i) => [id, i]));
      for (const row of rows) {
        const ownerIndex = index.get(row.owner_id);
        if (ownerIndex !== undefined) this.all.push({ id: row.id, ownerIndex, etag: taskEtag(row.id, row.version) });
      }
    } finally {
      await client.end();
    }
    this.free = [...this.all];
  }

  /**
   * Reads every tracked task's version back from PostgreSQL. Tasks whose PATCH was still in flight
   * when the previous run stopped sit this run out: the server may commit that write after this
   * read, which would leave a stale ETag here (a false 412).
   */
  async resync(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'taskwright-bench' });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string; version: number }>(`SELECT id, version FROM tasks WHERE id = ANY($1::uuid[])`, [
        this.all.map((t) => t.id),
      ]);
      const versions = new Map(rows.map((row) => [row.id, row.version]));
      for (const task of this.all) {
        const version = versions.get(task.id);
        if (version !== undefined) task.etag = taskEtag(task.id, version);
      }
    } finally {
      await client.end();
    }
    const quarantined = new Set(this.inFlight.keys());
    this.inFlight.clear();
    this.free = this.all.filter((task) => !quarantined.has(task.id));
  }

  take(): TrackedTask {
    const task = this.free.shift() ?? this.all[Math.floor(Math.random() * this.all.length)];
    if (task === undefined) throw new Error('the task pool is empty');
    this.inFlight.set(task.id, task);
    return task;
  }

  give(id: string, etag: string | undefined): void {
    const task = this.inFlight.get(id);
    if (!task) return;
    this.inFlight.delete(id);
    if (etag !== undefined) task.etag = etag;
    this.free.push(task);
  }

  /** Round-robin over all tracked tasks without taking them (conditional GETs change nothing). */
  cycler(): () => TrackedTask {
    return cycle(this.all);
  }
}

function listPlan(accounts: Account[], query: string | (() => string)): () => RequestPlan {
  return () => {
    const nextAccount = cycle(accounts);
    return {
      next: (): PlannedRequest => ({
        method: 'GET',
        path: `/v1/tasks?${typeof query === 'string' ? query : query()}`,
        headers: bearer(nextAccount()),
      }),
    };
  };
}

/** The cursor of the page that starts `depth` rows into the deep owner's default listing (-createdAt). */
export async function deepCursor(context: Pick<ScenarioContext, 'databaseUrl' | 'jwtSecret' | 'deepAccount'>, depth: number): Promise<string> {
  const client = new Client({ connectionString: context.databaseUrl, application_name: 'taskwright-bench' });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; created_at: Date }>(
      `SELECT id, created_at FROM tasks WHERE owner_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`,
      [context.deepAccount.userId, depth - 1],
    );
    const row = rows[0];
    if (row === undefined) throw new Error(`the deep owner has fewer than ${depth} tasks`);
    return new TaskCursorCodec(context.jwtSecret).encode(
      { sort: '-createdAt', at: row.created_at.toISOString(), id: row.id },
      { ownerId: context.deepAccount.userId },
    );
  } finally {
    await client.end();
  }
}

/** GET /v1/tasks/{id} of each task in turn, as `account` (200 expected: no If-None-Match). */
function readPlan(account: Account, ids: readonly string[]): () => RequestPlan {
  return () => {
    const nextId = cycle(ids);
    return { next: (): PlannedRequest => ({ method: 'GET', path: `/v1/tasks/${nextId()}`, headers: bearer(account) }) };
  };
}

const SHARE_ROLES_IN_TURN = ['viewer', 'editor'] as const;

/**
 * Grants and revocations by `owner`: a PUT of a pair not shared yet (201), and once it answered,
 * the DELETE of that grant (204), which frees the pair again. Pending revocations go first, so
 * about half the requests are each. A pair whose response was not the expected one (or never came)
 * sits the run out; every run starts from no grant at all (see the scenario's beforeRun).
 */
function grantPlan(owner: Account, pairs: readonly GrantPair[]): () => RequestPlan {
  return () => {
    const free = [...pairs];
    const granted: GrantPair[] = [];
    const inFlight = new Map<string, GrantPair>();
    const nextRole = cycle(SHARE_ROLES_IN_TURN);
    let n = 0;
    return {
      next: (): PlannedRequest => {
        n += 1;
        const revoke = granted.shift();
        if (revoke !== undefined) {
          inFlight.set(`revoke ${n}`, revoke);
          return {
            method: 'DELETE',
            path: `/v1/tasks/${revoke.taskId}/shares/${revoke.granteeId}`,
            headers: bearer(owner),
            tag: `revoke ${n}`,
          };
        }
        const grant = free.shift();
        // Every pair in flight or lost (failed responses): a GET, counted as unexpected, until one frees.
        if (grant === undefined) return { method: 'GET', path: `/v1/tasks/${pairs[0]?.taskId ?? ''}`, headers: bearer(owner) };
        inFlight.set(`grant ${n}`, grant);
        return {
          method: 'PUT',
          path: `/v1/tasks/${grant.taskId}/shares`,
          headers: { ...bearer(owner), 'content-type': 'application/json' },
          body: JSON.stringify({ email: grant.granteeEmail, role: nextRole() }),
          tag: `grant ${n}`,
        };
      },
      onResponse: (status, _headers, _body, tag) => {
        if (tag === undefined) return;
        const pair = inFlight.get(tag);
        inFlight.delete(tag);
        if (pair === undefined) return;
        if (tag.startsWith('grant') && status === 201) granted.push(pair);
        else if (tag.startsWith('revoke') && status === 204) free.push(pair);
      },
    };
  };
}

const CREATE_PRIORITIES = ['low', 'medium', 'high'] as const;

function createPlan(accounts: Account[], counter: { n: number }, idempotent: boolean): () => RequestPlan {
  return () => {
    const nextAccount = cycle(accounts);
    const runId = Date.now().toString(36);
    return {
      next: (): PlannedRequest => {
        counter.n += 1;
        const n = counter.n;
        const headers: Record<string, string> = { ...bearer(nextAccount()), 'content-type': 'application/json' };
        if (idempotent) headers['idempotency-key'] = `bench-${runId}-${n}`;
        return {
          method: 'POST',
          path: '/v1/tasks',
          headers,
          body: JSON.stringify({
            title: createdTaskTitle(n),
            description: 'Created by the benchmark',
            priority: CREATE_PRIORITIES[n % 3],
            dueAt: '2027-01-15T09:00:00Z',
            tags: ['bench', 'load'],
          }),
        };
      },
    };
  };
}

/** Every scenario of the benchmark, in the order they run. */
export function buildComparisons(context: ScenarioContext, deepCursorValue: string): Comparison[] {
  const { fleet, accounts, pool, options } = context;
  const counter = { n: 0 };
  const list20 = 'limit=20';
  const searchTerm = cycle(SEARCH_TERMS);
  const patchPriorities = cycle(['low', 'medium', 'high'] as const);

  const patchPlan = (): RequestPlan => {
    let n = 0;
    return {
      next: (): PlannedRequest => {
        const task = pool.take();
        const account = accounts[task.ownerIndex] as Account;
        n += 1;
        return {
          method: 'PATCH',
          path: `/v1/tasks/${task.id}`,
          headers: { ...bearer(account), 'content-type': 'application/json', 'if-match': task.etag },
          body: JSON.stringify({ title: `Renamed by the benchmark ${n}`, priority: patchPriorities() }),
          tag: task.id,
        };
      },
      onResponse: (status, headers, _body, tag) => {
        if (tag === undefined) return;
        pool.give(tag, status === 200 ? headers.etag : undefined);
      },
    };
  };

  const conditionalGetPlan = (): RequestPlan => {
    const nextTask = pool.cycler();
    return {
      next: (): PlannedRequest => {
        const task = nextTask();
        const account = accounts[task.ownerIndex] as Account;
        return { method: 'GET', path: `/v1/tasks/${task.id}`, headers: { ...bearer(account), 'if-none-match': task.etag } };
      },
    };
  };

  const loginPlan = (): RequestPlan => {
    const nextEmail = cycle(context.loginEmails);
    return {
      next: (): PlannedRequest => ({
        method: 'POST',
        path: '/v1/auth/login',
        headers: { 'content-type': 'application/json', 'user-agent': 'taskwright-bench-burst' },
        body: JSON.stringify({ email: nextEmail(), password: BENCH_PASSWORD }),
      }),
    };
  };

  const pair = (cache: boolean): [ServerProcess, ServerProcess] => (cache ? [fleet.twCache, fleet.baseCache] : [fleet.twNoCache, fleet.baseNoCache]);
  const versus = (cache: boolean, plan: () => RequestPlan, beforeRun?: () => Promise<void>): Comparison['sides'] => {
    const [tw, base] = pair(cache);
    return [
      { label: 'Taskwright', server: tw, plan, beforeRun },
      { label: versusLabel(options), server: base, plan, beforeRun },
    ];
  };
  const deepAccount = [context.deepAccount];
  const { sharing } = context;
  const deepTasks = formatThousands(options.dataset.deepOwnerTasks);
  const sharedTasks = formatThousands(options.dataset.sharedWithDeepOwner);
  const deepOwner = `the deep owner (${deepTasks} own tasks, ${sharedTasks} shared with them by other users, across the same time range)`;
  const resetGrants = async (): Promise<void> => {
    // Responses cut off at the end of the previous run may still be committing: let them land first.
    await sleep(500);
    await resetDeepOwnerGrants(context.databaseUrl, options.dataset.namespace);
  };
  const burstRate = (): number => Math.max(50, (context.coldListRps ?? 1000) * options.burstListRateFraction);

  const comparisons: Comparison[] = [
    {
      id: 'list-cold',
      title: 'GET /v1/tasks?limit=20, cache cold',
      against: 'baseline',
      note: `cache off on both servers (CACHE_TTL_MS=0 instances): every request runs the SQL; ${accounts.length} users in turn`,
      expectedStatuses: [200],
      sides: versus(false, listPlan(accounts, list20)),
    },
    {
      id: 'list-warm',
      title: 'GET /v1/tasks?limit=20, cache warm',
      against: 'baseline',
      note: `cache on (60 s TTL, in process${options.redisUrl ? ': Redis' : ''}); after the warm-up every read is a hit (one read of three keys)`,
      expectedStatuses: [200],
      sides: versus(true, listPlan(accounts, list20)),
    },
    {
      id: 'get-304',
      title: 'GET /v1/tasks/{id} with a matching If-None-Match',
      against: 'baseline',
      note: `${pool.all.length} tasks of ${accounts.length} users in turn, each with its current ETag; cache on`,
      expectedStatuses: [304],
      sides: versus(true, conditionalGetPlan, () => pool.resync()),
    },
    {
      id: 'create',
      title: 'POST /v1/tasks',
      against: 'baseline',
      note: 'a 5-field body, spread over the users; invalidates the user cache (cache on); created rows are deleted afterwards',
      expectedStatuses: [201],
      sides: versus(true, createPlan(accounts, counter, false)),
    },
    {
      id: 'create-idempotent',
      title: 'POST /v1/tasks with a fresh Idempotency-Key',
      against: 'baseline',
      note: 'each request a new key: the claim, the insert and the stored response in one transaction',
      expectedStatuses: [201],
      sides: versus(true, createPlan(accounts, counter, true)),
    },
    {
      id: 'patch',
      title: 'PATCH /v1/tasks/{id} with If-Match',
      against: 'baseline',
      note: `every request carries its task's current ETag (tracked from each response; ${pool.all.length} tasks, never two in flight at once)`,
      expectedStatuses: [200],
      sides: versus(true, patchPlan, () => pool.resync()),
    },
    {
      id: 'search',
      title: 'GET /v1/tasks?limit=20&q=… (full-text)',
      against: 'baseline',
      note: `cache off; terms in turn: ${SEARCH_TERMS.join(', ')}`,
      expectedStatuses: [200],
      sides: versus(
        false,
        listPlan(accounts, () => `limit=20&q=${encodeURIComponent(searchTerm())}`),
      ),
    },
    {
      id: 'deep-page',
      title: `Deep page vs first page (${(options.dataset.deepOwnerTasks / 1000).toLocaleString('en-US')}k-task owner)`,
      against: 'self',
      note: `Taskwright, cache off: a cursor ${Math.round(options.dataset.deepOwnerTasks * 0.9).toLocaleString('en-US')} of the owner's own rows in, vs the first page; same owner, limit=20; both pages are of their mixed list (own + ${formatThousands(options.dataset.sharedWithDeepOwner)} shared)`,
      expectedStatuses: [200],
      sides: [
        { label: 'deep page', server: fleet.twNoCache, plan: listPlan(deepAccount, `limit=20&cursor=${encodeURIComponent(deepCursorValue)}`) },
        { label: 'first page', server: fleet.twNoCache, plan: listPlan(deepAccount, list20) },
      ],
    },
    {
      id: 'login-burst',
      title: 'GET /v1/tasks p99 during a burst of logins (argon2id)',
      against: 'self',
      note: `Taskwright, cache off: the list at a fixed rate (${Math.round(options.burstListRateFraction * 100)} % of its cold-list req/s, ${options.burstListConnections} connections), with and without ${options.burstConnections} connections logging in non-stop`,
      expectedStatuses: [200],
      sides: [
        {
          label: 'during logins',
          server: fleet.twNoCache,
          plan: listPlan(accounts, list20),
          connections: options.burstListConnections,
          get rate() {
            return burstRate();
          },
          background: () => ({ plan: loginPlan(), connections: options.burstConnections, expectedStatuses: [200] }),
        },
        {
          label: 'no logins',
          server: fleet.twNoCache,
          plan: listPlan(accounts, list20),
          connections: options.burstListConnections,
          get rate() {
            return burstRate();
          },
        },
      ],
    },
    {
      id: 'shared-list-mixed',
      group: 'shared-list',
      title: 'GET /v1/tasks?limit=20 of own + shared tasks, first page',
      against: 'baseline',
      note: `cache off; as ${deepOwner}: the mixed list, two index walks merged (own tasks, and the grants' copies of the sort keys)`,
      expectedStatuses: [200],
      sides: versus(false, listPlan(deepAccount, list20)),
    },
    {
      id: 'shared-list-deep',
      group: 'shared-list',
      title: 'GET /v1/tasks?limit=20&cursor=… of own + shared tasks, deep page',
      against: 'baseline',
      note: `cache off; as the deep owner: a cursor ${formatThousands(sharing.mixedDepth)} rows into their mixed list of ${formatThousands(sharing.mixedTotal)} (90 %)`,
      expectedStatuses: [200],
      sides: versus(false, listPlan(deepAccount, `limit=20&cursor=${encodeURIComponent(sharing.mixedDeepCursor)}`)),
    },
    {
      id: 'shared-list-own',
      group: 'shared-list',
      title: 'GET /v1/tasks?limit=20&scope=own, first page',
      against: 'baseline',
      note: 'cache off; as the deep owner: their own tasks only (one index walk), the reference of the two above',
      expectedStatuses: [200],
      sides: versus(false, listPlan(deepAccount, `${list20}&scope=own`)),
    },
    {
      id: 'shared-list-shared',
      group: 'shared-list',
      title: 'GET /v1/tasks?limit=20&scope=shared, first page',
      against: 'baseline',
      note: "cache off; as the deep owner: the tasks shared with them only (the grants' index, each row joined to its task)",
      expectedStatuses: [200],
      sides: versus(false, listPlan(deepAccount, `${list20}&scope=shared`)),
    },
    {
      id: 'shared-read-shared',
      group: 'shared-read',
      title: 'GET /v1/tasks/{id} of a task shared with the caller',
      against: 'baseline',
      note: `cache off; as the deep owner, ${sharing.sharedTaskIds.length} tasks shared with them (viewer or editor) in turn; ETag with the access suffix`,
      expectedStatuses: [200],
      sides: versus(false, readPlan(context.deepAccount, sharing.sharedTaskIds)),
    },
    {
      id: 'shared-read-own',
      group: 'shared-read',
      title: 'GET /v1/tasks/{id} of an own task',
      against: 'baseline',
      note: `cache off; as the deep owner, ${sharing.ownTaskIds.length} of their own tasks (spread over their ${deepTasks}) in turn: the reference of the one above`,
      expectedStatuses: [200],
      sides: versus(false, readPlan(context.deepAccount, sharing.ownTaskIds)),
    },
    {
      id: 'share-grant',
      title: 'PUT /v1/tasks/{id}/shares (a new grant), then DELETE …/shares/{userId}',
      against: 'baseline',
      note:
        `cache on; as the deep owner (${deepTasks} tasks): each PUT a new grant (201) of one of ${formatThousands(sharing.grantPairs.length)} task × account pairs, ` +
        'each DELETE (204) the revocation of a grant that answered; req/s and CPU count both kinds of request; every run starts with no grant',
      expectedStatuses: [201, 204],
      sides: versus(true, grantPlan(context.deepAccount, sharing.grantPairs), resetGrants),
      after: () => resetDeepOwnerGrants(context.databaseUrl, options.dataset.namespace),
    },
  ];
  // The quick mode (CI) leaves out what is not one of the scenarios, to stay around 3 minutes.
  const extras = options.mode === 'quick' ? ['create-idempotent'] : [];
  // Against Taskwright itself (--versus-experiment, --versus-build) only the A/B scenarios mean anything.
  const chosen = !againstTaskwright(options) ? comparisons : comparisons.filter((c) => c.against === 'baseline');
  const only = options.only;
  return chosen.filter((c) => (only === undefined ? !extras.includes(c.id) : only.includes(c.id) || (c.group !== undefined && only.includes(c.group))));
}

function formatThousands(value: number): string {
  return value.toLocaleString('en-US');
}

/** Checks the deep cursor works on Taskwright before timing it. */
export async function checkDeepCursor(server: ServerProcess, account: Account, cursor: string): Promise<void> {
  const response = await getJson(server.url, `/v1/tasks?limit=20&cursor=${encodeURIComponent(cursor)}`, account.accessToken);
  const data = (response.body as { data?: unknown[] } | undefined)?.data;
  if (response.status !== 200 || !Array.isArray(data) || data.length !== 20) {
    throw new Error(`the deep cursor does not give a full page: ${response.status} ${response.text.slice(0, 300)}`);
  }
}
