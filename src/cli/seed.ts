import 'reflect-metadata';
import * as argon2 from 'argon2';
import { config as loadDotenv } from 'dotenv';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { isEmail } from 'class-validator';
import { type AppConfig, ConfigValidationError, loadConfig } from '../config/app-config';
import { batchDataSourceOptions, resolveDatabase } from '../database/database';
import { canonicalEmail } from '../users/canonical-email';

const USAGE = `usage: npm run seed -- --tasks <count> [--users <count>] [--owner-email <address>] [--password <password>]
  Creates --users accounts (default 20; existing ones with the same emails are reused) sharing one
  known password (default "${'taskwright-seed'}"), and --tasks tasks spread unevenly: the owner
  (--owner-email, default seed-owner@example.com) gets 92%, four heavy users 1.25% each, the rest
  share what is left. Uses DATABASE_URL, or the embedded PostgreSQL (stop the service first), and
  runs pending migrations first.`;

const DEFAULT_PASSWORD = 'taskwright-seed';
const DEFAULT_OWNER_EMAIL = 'seed-owner@example.com';
const BATCH = 50_000;
/** argon2id time cost, as PasswordHasher uses it, so seeded accounts log in like registered ones. */
const ARGON2_TIME_COST = 2;

export class SeedUsageError extends Error {}

export interface SeedArguments {
  tasks: number;
  users: number;
  ownerEmail: string;
  password: string;
}

function count(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const digits = value.replaceAll('_', '');
  if (!/^\d+$/.test(digits) || Number(digits) < min || Number(digits) > max) {
    throw new SeedUsageError(`--${name} must be an integer from ${min} to ${max}`);
  }
  return Number(digits);
}

export function parseSeedArguments(argv: string[]): SeedArguments {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { tasks: { type: 'string' }, users: { type: 'string' }, 'owner-email': { type: 'string' }, password: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SeedUsageError(error instanceof Error ? error.message : String(error));
  }
  const ownerEmail = values['owner-email']?.trim() ?? DEFAULT_OWNER_EMAIL;
  const password = values.password ?? DEFAULT_PASSWORD;
  if (!isEmail(ownerEmail)) throw new SeedUsageError('--owner-email must be an email address');
  if (password.length < 10 || password.length > 128) throw new SeedUsageError('--password must be 10 to 128 characters');
  return {
    tasks: count(values.tasks, 'tasks', 10_000, 0, 100_000_000),
    users: count(values.users, 'users', 20, 1, 100_000),
    ownerEmail,
    password,
  };
}

/**
 * How many tasks each user gets: the first (the owner) 92%, the next four 1.25% each, the rest
 * an even share of what is left; rounding leftovers go to the owner. Uneven on purpose: the list
 * queries must be fast for the user with almost everything and for the ones with little.
 */
export function distribute(tasks: number, users: number): number[] {
  const heavy = Math.min(4, users - 1);
  const light = users - 1 - heavy;
  const heavyEach = heavy > 0 ? Math.floor((tasks * (light > 0 ? 0.05 : 0.08)) / heavy) : 0;
  const lightEach = light > 0 ? Math.floor((tasks * 0.03) / light) : 0;
  const counts = [0, ...Array<number>(heavy).fill(heavyEach), ...Array<number>(light).fill(lightEach)];
  counts[0] = tasks - heavy * heavyEach - light * lightEach;
  return counts;
}

const VERBS = [
  'Write',
  'Review',
  'Call',
  'Email',
  'Fix',
  'Plan',
  'Prepare',
  'Book',
  'Buy',
  'Clean',
  'Update',
  'Schedule',
  'Send',
  'Check',
  'Organise',
  'Draft',
  'Pay',
  'Renew',
  'Cancel',
  'Order',
];
const NOUNS = [
  'report',
  'invoice',
  'meeting',
  'budget',
  'presentation',
  'dentist appointment',
  'flight',
  'groceries',
  'car service',
  'tax return',
  'newsletter',
  'contract',
  'garden',
  'kitchen',
  'backup',
  'release notes',
  'roadmap',
  'birthday gift',
  'insurance',
  'passport',
];
const QUALIFIERS = [
  'for Monday',
  'before Friday',
  'with the team',
  'for the client',
  'this week',
  'as soon as possible',
  'for Q3',
  'at home',
  'for the board',
  'next month',
];
const DETAILS = [
  'Numbers from finance first.',
  'Ask Sam about the deadline.',
  'Use last year as a template.',
  'Needs two signatures.',
  'Keep it short.',
  'Check the receipts folder.',
  'Blocked on the supplier.',
  'Remember the discount code.',
];
const TAGS = ['work', 'home', 'errand', 'urgent', 'finance', 'health', 'travel', 'family', 'admin', 'someday', 'q3', 'client', 'garden', 'car', 'reading'];

/**
 * One batch of tasks for one owner, generated inside PostgreSQL (one statement, no per-row round
 * trips). Ids come from the application (UUIDv7, as the service makes them); everything else is
 * drawn per row: ~0.01% of titles carry the rare word "zanzibar" for selective search tests.
 */
const INSERT_BATCH = `
  INSERT INTO tasks (id, owner_id, title, description, status, priority, due_at, tags, version, created_at, updated_at, completed_at)
  SELECT g.id, $2::uuid, r.title, r.description, r.status, r.priority,
         CASE WHEN s.u_due < 0.3 THEN NULL ELSE s.created_at + s.u_due * interval '90 days' END,
         r.tags, r.version, s.created_at, r.updated_at,
         CASE WHEN r.status = 'done' THEN r.updated_at END
  FROM unnest($1::uuid[]) AS g(id)
  -- Both subqueries refer to the outer row, so PostgreSQL draws their random() values per row
  -- (an uncorrelated subquery would be computed once and shared by the whole batch).
  CROSS JOIN LATERAL (
    SELECT now() - random() * interval '730 days' AS created_at,
           random() AS u_due, random() AS u_status, random() AS u_priority, random() AS u_rare,
           random() AS u_desc, random() AS u_tags
    WHERE g.id IS NOT NULL
  ) s
  CROSS JOIN LATERAL (
    SELECT
      ($3::text[])[1 + floor(random() * cardinality($3::text[]))::int] || ' ' ||
      ($4::text[])[1 + floor(random() * cardinality($4::text[]))::int] || ' ' ||
      ($5::text[])[1 + floor(random() * cardinality($5::text[]))::int] ||
      CASE WHEN s.u_rare < 0.0001 THEN ' zanzibar' ELSE '' END AS title,
      CASE WHEN s.u_desc < 0.4 THEN NULL ELSE ($6::text[])[1 + floor(random() * cardinality($6::text[]))::int] END AS description,
      (CASE WHEN s.u_status < 0.5 THEN 'todo' WHEN s.u_status < 0.7 THEN 'in_progress' ELSE 'done' END)::task_status AS status,
      (CASE WHEN s.u_priority < 0.3 THEN 'low' WHEN s.u_priority < 0.8 THEN 'medium' ELSE 'high' END)::task_priority AS priority,
      ARRAY(SELECT DISTINCT ($7::text[])[1 + floor(random() * cardinality($7::text[]))::int]
            FROM generate_series(1, floor(s.u_tags * 4)::int)) AS tags,
      1 + floor(random() * 4)::int AS version,
      least(s.created_at + random() * interval '30 days', now()) AS updated_at
  ) r`;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function ensureUsers(dataSource: DataSource, args: SeedArguments, passwordHash: string): Promise<string[]> {
  const emails = [args.ownerEmail, ...Array.from({ length: args.users - 1 }, (_, i) => `seed-user-${i + 1}@example.com`)];
  const ids: string[] = [];
  for (const [index, email] of emails.entries()) {
    const existing = (await dataSource.query('SELECT id FROM users WHERE email_canonical = $1', [canonicalEmail(email)])) as Array<{ id: string }>;
    const found = existing[0];
    if (found) {
      ids.push(found.id);
      continue;
    }
    const id = uuidv7();
    await dataSource.query(`INSERT INTO users (id, email, email_canonical, name, password_hash, role) VALUES ($1, $2, $5, $3, $4, 'user')`, [
      id,
      email,
      index === 0 ? 'Seed Owner' : `Seed User ${index}`,
      passwordHash,
      canonicalEmail(email),
    ]);
    ids.push(id);
  }
  return ids;
}

async function seed(dataSource: DataSource, config: AppConfig, args: SeedArguments): Promise<void> {
  const started = Date.now();
  const ran = await dataSource.runMigrations({ transaction: 'each' });
  if (ran.length > 0) log(`migrations: ran ${ran.map((m) => m.name).join(', ')}`);

  const passwordHash = await argon2.hash(args.password, {
    type: argon2.argon2id,
    memoryCost: config.argon2MemoryKib,
    timeCost: ARGON2_TIME_COST,
    parallelism: config.argon2Parallelism,
  });
  log(`users: ${args.users}, all with the password "${args.password}" (argon2id, hashed once)`);
  const userIds = await ensureUsers(dataSource, args, passwordHash);
  const counts = distribute(args.tasks, args.users);
  log(`owner ${args.ownerEmail} (${userIds[0]}): ${counts[0]?.toLocaleString('en')} tasks`);
  if (args.users > 1) {
    log(`seed-user-1..${Math.min(4, args.users - 1)}@example.com: ${counts[1]?.toLocaleString('en')} tasks each`);
  }
  if (args.users > 5) log(`seed-user-5..${args.users - 1}@example.com: ${counts[5]?.toLocaleString('en')} tasks each`);

  let done = 0;
  for (const [index, ownerId] of userIds.entries()) {
    let remaining = counts[index] ?? 0;
    while (remaining > 0) {
      const size = Math.min(BATCH, remaining);
      const ids = Array.from({ length: size }, () => uuidv7());
      await dataSource.query(INSERT_BATCH, [ids, ownerId, VERBS, NOUNS, QUALIFIERS, DETAILS, TAGS]);
      remaining -= size;
      done += size;
      const seconds = (Date.now() - started) / 1000;
      log(
        `tasks: ${done.toLocaleString('en')} / ${args.tasks.toLocaleString('en')} (${Math.round((done / Math.max(args.tasks, 1)) * 100)}%), ` +
          `${Math.round(done / seconds).toLocaleString('en')} rows/s`,
      );
    }
  }
  // VACUUM as well as ANALYZE: it merges the GIN indexes' pending lists (a search right after a
  // bulk load otherwise scans them: 3.4 ms instead of 0.2 ms for a rare word) and sets the
  // visibility map and hint bits, so the first measurements see the table as it runs in service.
  log('vacuum analyze: merging index pending lists, updating planner statistics');
  await dataSource.query('ANALYZE users');
  await dataSource.query('VACUUM (ANALYZE) tasks');
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: log in as ${args.ownerEmail} / ${args.password}`);
}

async function main(): Promise<void> {
  let args: SeedArguments;
  let config: AppConfig;
  try {
    args = parseSeedArguments(process.argv.slice(2));
    loadDotenv({ quiet: true });
    config = loadConfig();
  } catch (error) {
    if (error instanceof SeedUsageError || error instanceof ConfigValidationError) {
      process.stderr.write(`seed: ${error.message}\n${USAGE}\n`);
      process.exit(2);
    }
    throw error;
  }
  const database = await resolveDatabase(config, { info: (m) => process.stderr.write(`${m}\n`), warn: (m) => process.stderr.write(`${m}\n`) });
  const dataSource = new DataSource({ ...batchDataSourceOptions(config, database.url), logging: ['error'] });
  try {
    await dataSource.initialize();
    await seed(dataSource, config, args);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`seed failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
