import * as argon2 from 'argon2';
import { Client } from 'pg';
import { canonicalEmail } from '../../src/users/canonical-email';
import { progress } from './progress';
import { formatInt } from './util';

/**
 * The benchmark's data set, generated in PostgreSQL with INSERT ... SELECT generate_series, the
 * approach of src/cli/seed.ts (a million rows in about a minute, no per-row round trips), but with
 * the benchmark's own accounts and spread:
 *
 * - `users` accounts, ranked 1..N; user r owns about T / (r · H_N) tasks (a Zipf spread, so a few
 *   users own thousands and most own a few dozen), created over the last year;
 * - one more account, the deep owner, with `deepOwnerTasks` tasks one after another (the keyset
 *   "page deep in a million rows" scenario);
 * - `sharedWithDeepOwner` more tasks, owned by the lower half of the ranked users and shared with
 *   the deep owner (viewer or editor), created evenly across the deep owner's own time range, so
 *   the deep owner's mixed list interleaves them at every depth (the sharing scenarios). They are
 *   tasks of their own rather than shares of the spread ones, which cover another time range.
 *
 * Every account is `bench-<namespace>-…@bench.taskwright.test` with the same password, so the
 * quick and full data sets live side by side, and nothing else in the database is touched.
 * Tasks look like real ones: titles and descriptions from a vocabulary (for full-text search),
 * statuses, priorities, due dates on 60 %, up to three tags.
 */
export interface DatasetSpec {
  namespace: 'quick' | 'full';
  users: number;
  spreadTasks: number;
  deepOwnerTasks: number;
  /** Tasks of other users shared with the deep owner (grants inserted straight into task_shares). */
  sharedWithDeepOwner: number;
}

export const BENCH_PASSWORD = 'bench-password-not-secret-0123';
const EMAIL_DOMAIN = 'bench.taskwright.test';

export function userEmail(namespace: string, rank: number): string {
  return `bench-${namespace}-${rank}@${EMAIL_DOMAIN}`;
}

export function deepOwnerEmail(namespace: string): string {
  return `bench-${namespace}-deep@${EMAIL_DOMAIN}`;
}

/** Words of titles and descriptions; the search scenario queries some of them. */
const VOCABULARY = [
  'report',
  'invoice',
  'meeting',
  'review',
  'budget',
  'deploy',
  'release',
  'customer',
  'dentist',
  'groceries',
  'garden',
  'insurance',
  'migration',
  'roadmap',
  'interview',
  'backup',
  'quarterly',
  'newsletter',
  'workshop',
  'travel',
  'passport',
  'renovation',
  'contract',
  'onboarding',
  'benchmark',
  'security',
  'audit',
  'kubernetes',
  'postgres',
  'birthday',
] as const;

/** Search terms: common, medium and rare words of the vocabulary, and two-word queries. */
export const SEARCH_TERMS = ['report', 'meeting budget', 'kubernetes', 'dentist', 'quarterly review', 'passport', 'audit', 'release'];

const TAGS = ['work', 'home', 'errand', 'urgent', 'finance', 'health', 'project-x', 'someday'];

/** A UUIDv7 from a timestamptz expression, with random bits from md5(random()): no extension needed. */
function uuidv7Sql(timestamp: string): string {
  return `(lpad(to_hex((extract(epoch FROM ${timestamp}) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3)
    || substr('89ab', 1 + floor(random() * 4)::int, 1) || substr(md5(random()::text), 1, 15))::uuid`;
}

function pick(list: readonly string[]): string {
  return `(ARRAY[${list.map((w) => `'${w}'`).join(',')}])[1 + floor(random() * ${list.length})::int]`;
}

/**
 * Per-row random columns of a generated task: status and two distinct tags. They are computed in
 * the select list of the row source (a volatile function in an uncorrelated FROM subquery would be
 * evaluated once for all rows).
 */
const RANDOM_COLUMNS = `CASE WHEN random() < 0.6 THEN 'todo' WHEN random() < 0.5 THEN 'in_progress' ELSE 'done' END AS status,
  floor(random() * ${TAGS.length})::int AS tag_i, 1 + floor(random() * ${TAGS.length - 1})::int AS tag_j`;

const TAG_ARRAY = `ARRAY[${TAGS.map((t) => `'${t}'`).join(',')}]`;

/** The columns of a generated task row for owner `owner` created at `ts` (SQL expressions over `rows`). */
function taskSelect(owner: string, ts: string): string {
  const word = pick(VOCABULARY);
  return `SELECT ${uuidv7Sql(ts)}, ${owner},
      initcap(${word}) || ' ' || ${word} || ' ' || ${word},
      CASE WHEN random() < 0.5 THEN NULL ELSE 'Notes: ' || ${word} || ' ' || ${word} || ' before the ' || ${word} || ', then ' || ${word} || ' and ' || ${word} END,
      rows.status::task_status,
      (ARRAY['low','medium','high'])[1 + floor(random() * 3)::int]::task_priority,
      CASE WHEN random() < 0.6 THEN date_trunc('milliseconds', ${ts} + random() * interval '60 days') END,
      CASE floor(random() * 4)::int
        WHEN 0 THEN '{}'::text[]
        WHEN 1 THEN ARRAY[(${TAG_ARRAY})[1 + rows.tag_i]]
        ELSE ARRAY[(${TAG_ARRAY})[1 + rows.tag_i], (${TAG_ARRAY})[1 + (rows.tag_i + rows.tag_j) % ${TAGS.length}]] END,
      1, ${ts}, ${ts},
      CASE WHEN rows.status = 'done' THEN ${ts} + interval '1 day' END
    FROM rows`;
}

const TASK_INSERT = `INSERT INTO tasks (id, owner_id, title, description, status, priority, due_at, tags, version, created_at, updated_at, completed_at)`;

/** How many tasks the spread gives user `rank` (1-based) of `users`. */
function spreadCount(spec: DatasetSpec, rank: number): number {
  let harmonic = 0;
  for (let r = 1; r <= spec.users; r += 1) harmonic += 1 / r;
  return Math.max(1, Math.round(spec.spreadTasks / (rank * harmonic)));
}

function expectedSpreadTotal(spec: DatasetSpec): number {
  let total = 0;
  for (let r = 1; r <= spec.users; r += 1) total += spreadCount(spec, r);
  return total;
}

export interface SeededDataset {
  spec: DatasetSpec;
  /** User ids by rank (index 0 = rank 1, the biggest owner). */
  userIds: string[];
  deepOwnerId: string;
  /** How many tasks are shared with the deep owner (spec.sharedWithDeepOwner). */
  sharedWithDeepOwner: number;
  totalTasks: number;
  /** Seconds spent seeding in this run (0 when the data set was already there). */
  seededSeconds: number;
}

async function count(client: Client, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await client.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

const BENCH_CREATED_TITLE_PREFIX = 'bench-created ';

export function createdTaskTitle(n: number): string {
  return `${BENCH_CREATED_TITLE_PREFIX}${n}`;
}

/**
 * Removes what the write scenarios added (tasks created by POST, their idempotency keys, the grants
 * the deep owner made in the share-grant scenario and the parity probes, and their tombstones).
 */
export async function cleanUpWrites(databaseUrl: string, namespace: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'taskwright-bench-seed' });
  await client.connect();
  try {
    const like = `bench-${namespace}-%@${EMAIL_DOMAIN}`;
    const deleted = await client.query(`DELETE FROM tasks t USING users u WHERE t.owner_id = u.id AND u.email LIKE $1 AND t.title LIKE $2`, [
      like,
      `${BENCH_CREATED_TITLE_PREFIX}%`,
    ]);
    await client.query(`DELETE FROM idempotency_keys k USING users u WHERE k.user_id = u.id AND u.email LIKE $1`, [like]);
    await removeGrantsOf(client, deepOwnerEmail(namespace));
    return deleted.rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/**
 * Removes every grant `ownerEmail` made and the tombstones of the ended ones (the seeded grants are
 * made by other users to the deep owner: they stay).
 */
async function removeGrantsOf(client: Client, ownerEmail: string): Promise<void> {
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [ownerEmail]);
  const ownerId = rows[0]?.id;
  if (ownerId === undefined) return;
  await client.query(`DELETE FROM task_shares WHERE owner_id = $1`, [ownerId]);
  await client.query(`DELETE FROM task_access_ends WHERE owner_id = $1`, [ownerId]);
}

/** Resets the deep owner's grants (share-grant scenario): none, and no tombstone left. */
export async function resetDeepOwnerGrants(databaseUrl: string, namespace: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'taskwright-bench-seed' });
  await client.connect();
  try {
    await removeGrantsOf(client, deepOwnerEmail(namespace));
  } finally {
    await client.end();
  }
}

/** Ends the sessions earlier runs left behind (each run logs in afresh). */
export async function removeSessions(databaseUrl: string, namespace: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'taskwright-bench-seed' });
  await client.connect();
  try {
    await client.query(`DELETE FROM sessions s USING users u WHERE s.user_id = u.id AND u.email LIKE $1`, [`bench-${namespace}-%@${EMAIL_DOMAIN}`]);
  } finally {
    await client.end();
  }
}

/**
 * Makes sure the data set of `spec` is in the database (the tables come from Taskwright's own
 * migrations, run by its start-up): keeps it when the counts match, otherwise deletes the
 * namespace's accounts (their tasks go with them) and generates it again.
 */
export async function ensureDataset(databaseUrl: string, spec: DatasetSpec, force: boolean): Promise<SeededDataset> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'taskwright-bench-seed' });
  await client.connect();
  const started = Date.now();
  try {
    const like = `bench-${spec.namespace}-%@${EMAIL_DOMAIN}`;
    const deepEmail = deepOwnerEmail(spec.namespace);
    const spreadTotal = expectedSpreadTotal(spec);
    const users = await count(client, `SELECT count(*) AS n FROM users WHERE email LIKE $1 AND email <> $2`, [like, deepEmail]);
    // The tasks shared with the deep owner are counted apart (ensureSharedWithDeepOwner).
    const spreadTasks = await count(
      client,
      `SELECT count(*) AS n FROM tasks t JOIN users u ON u.id = t.owner_id WHERE u.email LIKE $1 AND u.email <> $2 AND t.title NOT LIKE $3
       AND NOT EXISTS (SELECT 1 FROM task_shares s JOIN users d ON d.id = s.grantee_id WHERE s.task_id = t.id AND d.email = $2)`,
      [like, deepEmail, `${BENCH_CREATED_TITLE_PREFIX}%`],
    );
    const deepTasks = await count(client, `SELECT count(*) AS n FROM tasks t JOIN users u ON u.id = t.owner_id WHERE u.email = $1`, [deepEmail]);
    const intact = users === spec.users && spreadTasks === spreadTotal && deepTasks === spec.deepOwnerTasks;
    let seeded = false;
    if (force || !intact) {
      seeded = true;
      progress.log(
        `seeding the ${spec.namespace} data set: ${formatInt(spec.users)} users, ${formatInt(spreadTotal)} tasks spread, ` +
          `${formatInt(spec.deepOwnerTasks)} for the deep owner` +
          (users + spreadTasks + deepTasks > 0 && !force
            ? ` (found ${formatInt(users)} users, ${formatInt(spreadTasks + deepTasks)} tasks: replacing them)`
            : ''),
      );
      await seed(client, spec, like, deepEmail, spreadTotal);
    }
    const { rows: userRows } = await client.query<{ id: string; email: string }>(`SELECT id, email FROM users WHERE email LIKE $1`, [like]);
    const byEmail = new Map(userRows.map((row) => [row.email, row.id]));
    const userIds: string[] = [];
    for (let rank = 1; rank <= spec.users; rank += 1) {
      const id = byEmail.get(userEmail(spec.namespace, rank));
      if (id === undefined) throw new Error(`seeded user ${userEmail(spec.namespace, rank)} is missing`);
      userIds.push(id);
    }
    const deepOwnerId = byEmail.get(deepEmail);
    if (deepOwnerId === undefined) throw new Error('the deep owner is missing');
    if (await ensureSharedWithDeepOwner(client, spec, userIds, deepOwnerId, force || seeded)) seeded = true;
    return {
      spec,
      userIds,
      deepOwnerId,
      sharedWithDeepOwner: spec.sharedWithDeepOwner,
      totalTasks: spreadTotal + spec.deepOwnerTasks + spec.sharedWithDeepOwner,
      seededSeconds: seeded ? (Date.now() - started) / 1000 : 0,
    };
  } finally {
    await client.end();
  }
}

/**
 * The tasks shared with the deep owner: kept when there are `sharedWithDeepOwner` grants to the
 * deep owner, otherwise generated again (true) in one statement. The owners are the lower half of
 * the ranked users (never the load users, whose lists the other scenarios read); task k of n is
 * created at the k-th n-th of the deep owner's own time range, so both kinds interleave evenly in
 * every order; the grants copy the task's sort keys, as SharesRepository.insert does, and
 * alternate roles at random.
 */
async function ensureSharedWithDeepOwner(client: Client, spec: DatasetSpec, userIds: string[], deepOwnerId: string, force: boolean): Promise<boolean> {
  const grants = await count(client, `SELECT count(*) AS n FROM task_shares WHERE grantee_id = $1`, [deepOwnerId]);
  if (!force && grants === spec.sharedWithDeepOwner) return false;
  progress.log(
    `seeding ${formatInt(spec.sharedWithDeepOwner)} tasks shared with the deep owner${grants > 0 && !force ? ` (found ${formatInt(grants)}: replacing them)` : ''}`,
  );
  progress.update('seed: removing the tasks shared with the deep owner');
  // Their grants go with them (each leaving a tombstone, removed next).
  await client.query(`DELETE FROM tasks WHERE id IN (SELECT task_id FROM task_shares WHERE grantee_id = $1)`, [deepOwnerId]);
  await client.query(`DELETE FROM task_access_ends WHERE grantee_id = $1`, [deepOwnerId]);
  const owners = userIds.slice(Math.floor(userIds.length / 2));
  if (owners.length === 0 || spec.sharedWithDeepOwner === 0) return true;
  progress.update(`seed: ${formatInt(spec.sharedWithDeepOwner)} tasks shared with the deep owner`);
  const created = await client.query(
    `WITH created AS (
       ${TASK_INSERT}
       SELECT * FROM (
         WITH span AS (
           SELECT min(created_at) AS lo, max(created_at) AS hi FROM tasks WHERE owner_id = $1 AND deleted_at IS NULL
         ), rows AS (
           SELECT ($2::uuid[])[1 + (k % cardinality($2::uuid[]))] AS owner_id,
                  date_trunc('milliseconds', span.lo + (k - 0.5)::float8 * (span.hi - span.lo) / $3::int) AS ts, ${RANDOM_COLUMNS}
           FROM span, generate_series(1, $3::int) k
         )
         ${taskSelect('rows.owner_id', 'rows.ts')}
       ) generated
       RETURNING id, owner_id, created_at, updated_at, priority, due_at
     )
     INSERT INTO task_shares (task_id, grantee_id, owner_id, role, task_created_at, task_updated_at, task_priority, task_due_at)
     SELECT id, $1, owner_id, (CASE WHEN random() < 0.5 THEN 'viewer' ELSE 'editor' END)::task_share_role, created_at, updated_at, priority, due_at
     FROM created`,
    [deepOwnerId, owners, spec.sharedWithDeepOwner],
  );
  if (created.rowCount !== spec.sharedWithDeepOwner) throw new Error(`expected ${spec.sharedWithDeepOwner} grants, inserted ${created.rowCount ?? 0}`);
  progress.update('seed: vacuum analyze task_shares, tasks');
  await client.query('VACUUM (ANALYZE) task_shares');
  await client.query('VACUUM (ANALYZE) tasks');
  return true;
}

async function seed(client: Client, spec: DatasetSpec, like: string, deepEmail: string, spreadTotal: number): Promise<void> {
  progress.update('seed: removing the previous data set');
  // The grants between the namespace's accounts and their tombstones first: deleting the accounts
  // would otherwise write a tombstone for every grant whose grantee is deleted in the same statement.
  await client.query(
    `DELETE FROM task_shares WHERE owner_id IN (SELECT id FROM users WHERE email LIKE $1) OR grantee_id IN (SELECT id FROM users WHERE email LIKE $1)`,
    [like],
  );
  await client.query(
    `DELETE FROM task_access_ends WHERE owner_id IN (SELECT id FROM users WHERE email LIKE $1) OR grantee_id IN (SELECT id FROM users WHERE email LIKE $1)`,
    [like],
  );
  await client.query(`DELETE FROM users WHERE email LIKE $1`, [like]);
  progress.update('seed: hashing the shared password (argon2id, the app settings)');
  const hash = await argon2.hash(BENCH_PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });

  // The generated addresses are already in canonical form (lower-case ASCII), so each is its own
  // email_canonical; checked here on the parts, with the app's one canonicalisation function.
  const sample = `bench-${spec.namespace}-1@${EMAIL_DOMAIN}`;
  if (canonicalEmail(sample) !== sample) throw new Error(`the bench namespace and domain must be canonical: ${sample}`);
  const ts = `(now() - interval '730 days' + g * interval '1 minute')`;
  await client.query(
    `INSERT INTO users (id, email, email_canonical, name, password_hash, role, created_at, updated_at)
     SELECT ${uuidv7Sql(ts)}, e.address, e.address, 'Bench user ' || g, $2, 'user', ${ts}, ${ts}
     FROM generate_series(1, $3::int) g, LATERAL (SELECT 'bench-' || $1::text || '-' || g || '@${EMAIL_DOMAIN}' AS address) e`,
    [spec.namespace, hash, spec.users],
  );
  await client.query(
    `INSERT INTO users (id, email, email_canonical, name, password_hash, role, created_at, updated_at)
     VALUES (${uuidv7Sql('now()')}, $1, $2, 'Bench deep owner', $3, 'user', now(), now())`,
    [deepEmail, canonicalEmail(deepEmail), hash],
  );

  let harmonic = 0;
  for (let r = 1; r <= spec.users; r += 1) harmonic += 1 / r;
  const total = spreadTotal + spec.deepOwnerTasks;
  let done = 0;
  const report = (what: string): void => progress.update(`seed: ${what} ${formatInt(done)}/${formatInt(total)} tasks (${Math.floor((done / total) * 100)} %)`);

  // Spread tasks, a slice of users at a time so the progress line moves.
  const slice = Math.max(1, Math.ceil(spec.users / 20));
  for (let from = 1; from <= spec.users; from += slice) {
    const to = Math.min(spec.users, from + slice - 1);
    report('spread');
    const created = `(now() - random() * interval '365 days')`;
    const result = await client.query(
      `${TASK_INSERT}
       SELECT * FROM (
         WITH owners AS (
           SELECT u.id AS owner_id, greatest(1, round($3::float8 / (rank * $4::float8)))::int AS n
           FROM generate_series($1::int, $2::int) rank
           JOIN users u ON u.email = 'bench-' || $5::text || '-' || rank || '@${EMAIL_DOMAIN}'
         ), rows AS (
           SELECT o.owner_id, date_trunc('milliseconds', ${created}) AS ts, ${RANDOM_COLUMNS} FROM owners o, generate_series(1, o.n)
         )
         ${taskSelect('rows.owner_id', 'rows.ts')}
       ) generated`,
      [from, to, spec.spreadTasks, harmonic, spec.namespace],
    );
    done += result.rowCount ?? 0;
  }

  // The deep owner: one task every 30 s, so created_at (the default sort) is distinct and ordered.
  const chunk = 100_000;
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [deepEmail]);
  const deepId = rows[0]?.id;
  if (deepId === undefined) throw new Error('the deep owner was not created');
  for (let from = 1; from <= spec.deepOwnerTasks; from += chunk) {
    const to = Math.min(spec.deepOwnerTasks, from + chunk - 1);
    report('deep owner');
    const result = await client.query(
      `${TASK_INSERT}
       SELECT * FROM (
         WITH rows AS (
           SELECT date_trunc('milliseconds', now() - interval '400 days' + k * interval '30 seconds') AS ts, ${RANDOM_COLUMNS}
           FROM generate_series($1::int, $2::int) k
         )
         ${taskSelect('$3::uuid', 'rows.ts')}
       ) generated`,
      [from, to, deepId],
    );
    done += result.rowCount ?? 0;
  }
  // VACUUM too, as src/cli/seed.ts does: it merges the GIN indexes' pending lists (search after a
  // bulk load would scan them) and sets the visibility map, so runs see the table as in service.
  report('vacuum analyze');
  await client.query('ANALYZE users');
  await client.query('VACUUM (ANALYZE) tasks');
  progress.log(`seeded ${formatInt(done)} tasks`);
}
