/**
 * The bare baseline: Fastify + node-postgres (+ @redis/client when REDIS_URL is set), no Nest app, no
 * TypeORM, no Passport, no class-validator, no rxjs. It does the observable work Taskwright does
 * for the benchmarked routes, and nothing more:
 *
 * - X-Request-Id (echoed when sane, else a UUIDv7) on every response;
 * - the general rate limit per user (same key and store, same X-RateLimit-* headers);
 * - HS256 access-token verification with the same secret, issuer, audience and claim checks;
 * - the session-revocation check against the same store, the same SQL on a miss;
 * - the user-scoped response cache (same scheme: one read of three keys per cached GET);
 * - the same SQL as TasksService and SharesService (the list and update SQL come from Taskwright's
 *   own pure query builders, the access conditions from its policy module);
 * - the same JSON, ETag, Cache-Control, Location and 304/403/409/412 behaviour, sharing included
 *   (the mixed list with `access`, reads of shared tasks, grants and revocations).
 *
 * Not done here (Taskwright's own costs, visible in the profile): request logging and Prometheus
 * metrics.
 *
 * What Taskwright exports as plain functions and constants (SQL, the cursor codec, ETags, request
 * ids, the Redis client options) is imported, not copied; some of their modules load Nest or TypeORM
 * decorators when imported, but nothing of those runs per request here.
 *
 * Configured through the same environment variables as Taskwright (PORT, HOST, DATABASE_URL,
 * DATABASE_POOL_SIZE, DATABASE_STATEMENT_TIMEOUT_MS, REDIS_URL, REDIS_KEY_PREFIX, JWT_SECRET,
 * JWT_ACCESS_TTL_SECONDS, CACHE_TTL_MS, RATE_LIMIT_MAX, RATE_LIMIT_TTL_MS, BODY_LIMIT_BYTES).
 */
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Pool, type PoolClient } from 'pg';
import { createClient, type RedisClientType } from '@redis/client';
import { buildListQuery, buildUpdateQuery, positionOf, TASK_COLUMNS, TASK_FIELDS, type TaskRow } from '../../src/tasks/tasks.repository';
import { selectList } from '../../src/database/select-list';
import { TaskEntity } from '../../src/tasks/task.entity';
import { accessCondition, accessExpression, authorize, type ShareRole, type TaskAccess } from '../../src/tasks/access/task-access.policy';
import { canonicalEmail } from '../../src/users/canonical-email';
import { etagOfJson, ifNoneMatchMatches } from '../../src/common/http/etag';
import { isUuid } from '../../src/common/uuid';
import { hashRequest } from '../../src/common/idempotency/canonical-json';
import { IDEMPOTENCY_SQL } from '../../src/common/idempotency/idempotency.repository';
import { preconditionFromIfMatch, taskEtag } from '../../src/tasks/task-etag';
import { toTaskDto } from '../../src/tasks/task.mapper';
import { TaskCursorCodec } from '../../src/tasks/task-cursor';
import { ProblemException } from '../../src/common/problem/problem.exception';
import { type TaskFilters, taskFilters, UPDATABLE_FIELDS } from '../../src/tasks/task.types';
import type { TaskDto } from '../../src/tasks/dto/task.dto';
import { requestCacheKey, UserCache } from './cache';
import { v7 as uuidv7 } from 'uuid';
import { requestIdOf } from '../../src/common/http/request-id';
import { redisClientOptions } from '../../src/redis/redis-options';
import { AccessTokenVerifier, type AccessClaims } from './jwt';
import { RateLimiter } from './rate-limit';
import { setRedisDeadline } from './redis-deadline';
import { SessionCheck } from './sessions';
import { Invalid, parseListQuery, parseShareBody, parseTaskBody, type FieldError } from './validate';

function env(name: string, fallback?: string): string {
  const value = process.env[name];
  if (value !== undefined && value.trim() !== '') return value.trim();
  if (fallback !== undefined) return fallback;
  throw new Error(`baseline: ${name} is required`);
}

const config = {
  host: env('HOST', '127.0.0.1'),
  port: Number(env('PORT')),
  databaseUrl: env('DATABASE_URL'),
  poolSize: Number(env('DATABASE_POOL_SIZE', '10')),
  statementTimeoutMs: Number(env('DATABASE_STATEMENT_TIMEOUT_MS', '15000')),
  redisUrl: process.env.REDIS_URL?.trim() || undefined,
  redisTimeoutMs: Number(env('REDIS_TIMEOUT_MS', '500')),
  redisPingIntervalMs: Number(env('REDIS_PING_INTERVAL_MS', '500')),
  sessionActiveCacheSeconds: Number(env('SESSION_ACTIVE_CACHE_SECONDS', '5')),
  keyPrefix: env('REDIS_KEY_PREFIX', 'taskwright:'),
  jwtSecret: env('JWT_SECRET'),
  accessTtlSeconds: Number(env('JWT_ACCESS_TTL_SECONDS', '900')),
  cacheTtlMs: Number(env('CACHE_TTL_MS', '60000')),
  rateLimitMax: Number(env('RATE_LIMIT_MAX', '600')),
  rateLimitTtlMs: Number(env('RATE_LIMIT_TTL_MS', '60000')),
  bodyLimit: Number(env('BODY_LIMIT_BYTES', '102400')),
};

const pool = new Pool({
  connectionString: config.databaseUrl,
  max: config.poolSize,
  connectionTimeoutMillis: 5000,
  idleTimeoutMillis: 30000,
  statement_timeout: config.statementTimeoutMs,
  application_name: 'taskwright-baseline',
});

let redis: RedisClientType | undefined;
if (config.redisUrl !== undefined) {
  redis = createClient(redisClientOptions(config.redisUrl, config)) as RedisClientType;
  redis.on('error', () => undefined);
}

const verifier = new AccessTokenVerifier(config.jwtSecret);
setRedisDeadline(config.redisTimeoutMs);
const sessions = new SessionCheck(pool, redis, config.keyPrefix, config.accessTtlSeconds, config.sessionActiveCacheSeconds);
const limiter = new RateLimiter(redis, config.keyPrefix, config.rateLimitMax, config.rateLimitTtlMs);
const cache = new UserCache(redis, config.keyPrefix, config.cacheTtlMs);
const cursors = new TaskCursorCodec(config.jwtSecret);

const app = Fastify({
  logger: false,
  bodyLimit: config.bodyLimit,
  genReqId: (request) => requestIdOf(request.headers['x-request-id']),
  requestIdHeader: false,
  return503OnClosing: true,
  forceCloseConnections: 'idle',
  routerOptions: { ignoreTrailingSlash: true },
});

app.addHook('onRequest', async (request, reply) => {
  reply.header('x-request-id', request.id);
});

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

app.setErrorHandler((error: unknown, request, reply) => {
  let problem: Problem;
  if (error instanceof Problem) problem = error;
  else if (error instanceof ProblemException) problem = new Problem(error.getStatus(), error.problemType, error.message, error.errors, error.headers);
  else if (error instanceof Invalid) problem = new Problem(400, 'validation-failed', 'The request is invalid: see errors', error.errors);
  else {
    const statusCode = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
    problem =
      typeof statusCode === 'number' && statusCode < 500
        ? new Problem(statusCode, 'bad-request', STATUS_CODES[statusCode] ?? 'Bad request')
        : new Problem(500, 'internal-error', 'An unexpected error occurred; quote the requestId when reporting it');
  }
  for (const [name, value] of Object.entries(problem.headers)) void reply.header(name, value);
  void reply
    .status(problem.status)
    .header('content-type', 'application/problem+json')
    .header('cache-control', 'no-store')
    .send({
      type: `https://taskwright.dev/problems/${problem.type}`,
      title: STATUS_CODES[problem.status] ?? 'Error',
      status: problem.status,
      detail: problem.detail,
      instance: request.url.split('?')[0] ?? request.url,
      requestId: String(request.id),
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
});

interface Caller {
  id: string;
  role: 'user' | 'admin';
}

function unauthenticated(reason: 'missing-token' | 'invalid-token' | 'session-revoked'): Problem {
  const challenge = reason === 'missing-token' ? 'Bearer' : 'Bearer error="invalid_token"';
  return new Problem(401, reason, 'The access token is missing, invalid or revoked', undefined, { 'WWW-Authenticate': challenge });
}

/** Rate limit (by user when the token verifies, else by IP), then the token, then its session. */
async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Caller> {
  const header = request.headers.authorization;
  const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const claims: AccessClaims | undefined = token === undefined ? undefined : verifier.verify(token);
  const decision = await limiter.hit(claims ? `user:${claims.sub}` : `ip:${request.ip}`);
  if (!decision.allowed) {
    throw new Problem(429, 'rate-limited', `Too many requests: retry in ${decision.resetSeconds} s`, undefined, {
      'Retry-After': String(Math.max(1, decision.resetSeconds)),
    });
  }
  void reply.header('X-RateLimit-Limit', decision.limit);
  void reply.header('X-RateLimit-Remaining', decision.remaining);
  void reply.header('X-RateLimit-Reset', decision.resetSeconds);
  if (token === undefined) throw unauthenticated('missing-token');
  if (!claims) throw unauthenticated('invalid-token');
  if (!(await sessions.isActive(claims))) throw unauthenticated('session-revoked');
  return { id: claims.sub, role: claims.role };
}

function notModified(request: FastifyRequest, etag: string): boolean {
  return ifNoneMatchMatches(request.headers['if-none-match'], etag);
}

/**
 * A cacheable GET: cached body and ETag on a hit; otherwise the loader's body, serialised once for
 * both the ETag and the response. `Cache-Control: private, no-cache`, 304 on a matching
 * If-None-Match.
 */
async function cachedGet(request: FastifyRequest, reply: FastifyReply, caller: Caller, load: () => Promise<{ body: unknown; etag?: string }>): Promise<void> {
  const lookup = await cache.lookup(caller.id, requestCacheKey('GET', request.url));
  let json: string;
  let etag: string;
  if (lookup.hit && lookup.etag !== undefined && lookup.json !== undefined) {
    etag = lookup.etag;
    json = lookup.json;
  } else {
    const loaded = await load();
    json = JSON.stringify(loaded.body);
    etag = loaded.etag ?? etagOfJson(json);
    lookup.store(json, etag);
  }
  void reply.header('cache-control', 'private, no-cache').header('etag', etag);
  if (notModified(request, etag)) {
    void reply.status(304).send();
    return;
  }
  void reply.header('content-type', 'application/json; charset=utf-8').send(json);
}

function taskNotFound(): Problem {
  return new Problem(404, 'not-found', 'No task with this id');
}

function shareNotFound(): Problem {
  return new Problem(404, 'share-not-found', 'This task is not shared with this user');
}

/*
 * TasksRepository's and SharesRepository's statements that are not built by an exported function,
 * written out (the parity probes compare them with what Taskwright sends).
 */
/** TasksRepository.findVisible: the live task if the caller may read it, with their access. */
const FIND_VISIBLE_SQL = `SELECT ${TASK_COLUMNS}, ${accessExpression('t', '$2::uuid')} AS access FROM tasks t
  WHERE t.id = $1 AND t.deleted_at IS NULL AND ${accessCondition('read', 't', '$2::uuid')}`;
/** TasksRepository.accessOf: the caller's access to the live task (NULL: none). */
const ACCESS_OF_SQL = `SELECT ${accessExpression('t', '$2::uuid')} AS access FROM tasks t WHERE t.id = $1 AND t.deleted_at IS NULL`;
/** TasksRepository.audience: everyone whose cached reads a change of the task touches. */
const AUDIENCE_SQL = `SELECT owner_id AS "userId" FROM tasks WHERE id = $1
  UNION SELECT grantee_id FROM task_shares WHERE task_id = $1
  UNION SELECT grantee_id FROM task_access_ends WHERE task_id = $1`;
/** TasksRepository.insert's RETURNING list (TASK_FIELDS unqualified). */
const TASK_COLUMNS_UNQUALIFIED = selectList(TaskEntity, TASK_FIELDS);
/** UsersRepository.findByEmail, as TypeORM's query builder writes it. */
const FIND_USER_BY_EMAIL_SQL = `SELECT "u"."id" AS "u_id", "u"."email" AS "u_email", "u"."name" AS "u_name", "u"."role" AS "u_role", "u"."disabled" AS "u_disabled", "u"."created_at" AS "u_created_at", "u"."updated_at" AS "u_updated_at" FROM "users" "u" WHERE "u"."email_canonical" = $1`;
const SHARE_SQL = {
  lockTask: `SELECT owner_id AS "ownerId", created_at AS "createdAt", updated_at AS "updatedAt", priority, due_at AS "dueAt"
    FROM tasks WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE`,
  roleOf: `SELECT role FROM task_shares WHERE task_id = $1 AND grantee_id = $2`,
  count: `SELECT count(*)::integer AS count FROM task_shares WHERE task_id = $1`,
  insert: `INSERT INTO task_shares (task_id, grantee_id, owner_id, role, task_created_at, task_updated_at, task_priority, task_due_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  updateRole: `UPDATE task_shares SET role = $3 WHERE task_id = $1 AND grantee_id = $2`,
  find: `SELECT u.id AS "userId", u.name, u.email, share.role, share.created_at AS "createdAt" FROM task_shares share JOIN users u ON u.id = share.grantee_id WHERE share.task_id = $1 AND share.grantee_id = $2`,
  delete: `DELETE FROM task_shares WHERE task_id = $1 AND grantee_id = $2 RETURNING grantee_id`,
};
/** SharesService.MAX_SHARES_PER_TASK (not imported: its module pulls in the whole users feature). */
const MAX_SHARES_PER_TASK = 100;

async function accessOf(client: Pool | PoolClient, userId: string, id: string): Promise<TaskAccess | undefined> {
  const { rows } = await client.query<{ access: TaskAccess | null }>(ACCESS_OF_SQL, [id, userId]);
  return rows[0]?.access ?? undefined;
}

app.get('/health/ready', async (_request, reply) => {
  await pool.query('SELECT 1');
  void reply.header('cache-control', 'no-store');
  return { status: 'ok' };
});

app.get('/v1/tasks', async (request, reply) => {
  const caller = await authenticate(request, reply);
  const query = parseListQuery(request.query as Record<string, unknown>);
  let filters: TaskFilters = taskFilters(caller.id, query);
  if (query.ownerId !== undefined) {
    if (caller.role !== 'admin') throw new Problem(403, 'forbidden', "Only admins may list another user's tasks (ownerId)");
    if (query.scope === 'shared') {
      throw new Invalid([{ field: 'scope', message: "scope=shared cannot be combined with ownerId, which lists that user's own tasks" }]);
    }
    filters = { ...taskFilters(query.ownerId.toLowerCase(), query), scope: 'own' };
  }
  const load = async (): Promise<{ body: unknown }> => {
    let after;
    if (query.cursor !== undefined) {
      try {
        after = cursors.decode(query.cursor, query.sort, filters);
      } catch (error) {
        if (error instanceof ProblemException) throw new Problem(error.getStatus(), error.problemType, error.message);
        throw error;
      }
    }
    const { text, params } = buildListQuery(filters, query.sort, query.limit + 1, after, caller.id);
    const { rows } = await pool.query<TaskRow>(text, params);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const hasMore = rows.length > query.limit && last !== undefined;
    return { body: { data: page.map(toTaskDto), nextCursor: hasMore ? cursors.encode(positionOf(last, query.sort), filters) : null } };
  };
  if (query.ownerId !== undefined) {
    const { body } = await load();
    const json = JSON.stringify(body);
    const etag = etagOfJson(json);
    void reply.header('cache-control', 'private, no-cache').header('etag', etag);
    if (notModified(request, etag)) return reply.status(304).send();
    return reply.header('content-type', 'application/json; charset=utf-8').send(json);
  }
  await cachedGet(request, reply, caller, load);
  return reply;
});

app.get<{ Params: { id: string } }>('/v1/tasks/:id', async (request, reply) => {
  const caller = await authenticate(request, reply);
  await cachedGet(request, reply, caller, async () => {
    if (!isUuid(request.params.id)) throw taskNotFound();
    const id = request.params.id.toLowerCase();
    const { rows } = await pool.query<TaskRow>(FIND_VISIBLE_SQL, [id, caller.id]);
    const row = rows[0];
    if (row === undefined) throw taskNotFound();
    return { body: toTaskDto(row), etag: taskEtag(row.id, row.version, row.access) };
  });
  return reply;
});

const VALID_IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const IDEMPOTENCY_SCOPE = 'tasks.create';
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
let lastPurgeAt = 0;

async function insertTask(client: Pool | PoolClient, ownerId: string, task: NewTask): Promise<TaskDto> {
  const { rows } = await client.query<TaskRow>(
    `INSERT INTO tasks (id, owner_id, title, description, status, priority, due_at, tags, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $5::task_status = 'done' THEN now() END)
       RETURNING ${TASK_COLUMNS_UNQUALIFIED}, 'owner' AS access`,
    [uuidv7(), ownerId, task.title, task.description, task.status, task.priority, task.dueAt, task.tags],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('expected one row from INSERT ... RETURNING');
  return toTaskDto(row);
}

interface NewTask {
  title: string;
  description: string | null;
  status: string;
  priority: string;
  dueAt: string | null;
  tags: string[];
}

/** Create, with an Idempotency-Key claimed in the same transaction (same SQL as IdempotencyService). */
async function createTask(ownerId: string, task: NewTask, key: string | undefined): Promise<{ task: TaskDto; replayed: boolean }> {
  if (key === undefined) return { task: await insertTask(pool, ownerId, task), replayed: false };
  const requestHash = hashRequest(task);
  const client = await pool.connect();
  let result: { task: TaskDto; replayed: boolean };
  try {
    await client.query('START TRANSACTION');
    const claimed = await client.query(IDEMPOTENCY_SQL.claim, [ownerId, IDEMPOTENCY_SCOPE, key, requestHash, IDEMPOTENCY_TTL_SECONDS]);
    if (claimed.rows.length > 0) {
      const inserted = await insertTask(client, ownerId, task);
      await client.query(IDEMPOTENCY_SQL.storeResponse, [ownerId, IDEMPOTENCY_SCOPE, key, inserted.id, JSON.stringify(inserted)]);
      result = { task: inserted, replayed: false };
    } else {
      const { rows } = await client.query<{ requestHash: string; resourceId: string | null; response: TaskDto | null }>(IDEMPOTENCY_SQL.find, [
        ownerId,
        IDEMPOTENCY_SCOPE,
        key,
      ]);
      const existing = rows[0];
      if (existing === undefined || existing.requestHash !== requestHash || existing.response === null) {
        throw new Problem(409, 'idempotency-key-reused', 'This Idempotency-Key was already used with a different request; use a new key for a new request');
      }
      // A response stored before tasks carried `access` lacks it; its creator is the owner.
      result = { task: { ...existing.response, access: 'owner' }, replayed: true };
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  if (Date.now() - lastPurgeAt >= 60_000) {
    lastPurgeAt = Date.now();
    pool
      .query(
        `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1) LIMIT $2))`,
        [IDEMPOTENCY_TTL_SECONDS, 1000],
      )
      .catch(() => undefined);
  }
  return result;
}

app.post('/v1/tasks', async (request, reply) => {
  const caller = await authenticate(request, reply);
  const input = parseTaskBody(request.body, false);
  const keyHeader = request.headers['idempotency-key'];
  if (keyHeader !== undefined && (typeof keyHeader !== 'string' || !VALID_IDEMPOTENCY_KEY.test(keyHeader))) {
    throw new Invalid([{ field: 'header.idempotency-key', message: 'Idempotency-Key must be 1 to 255 visible ASCII characters' }]);
  }
  const task: NewTask = {
    title: input.title ?? '',
    description: input.description ?? null,
    status: input.status ?? 'todo',
    priority: input.priority ?? 'medium',
    dueAt: input.dueAt === undefined || input.dueAt === null ? null : new Date(input.dueAt).toISOString(),
    tags: input.tags ?? [],
  };
  const created = await createTask(caller.id, task, keyHeader);
  await cache.invalidate(caller.id);
  void reply.status(201).header('location', `/v1/tasks/${created.task.id}`).header('etag', taskEtag(created.task.id, created.task.version));
  if (created.replayed) void reply.header('idempotent-replayed', 'true');
  return created.task;
});

app.patch<{ Params: { id: string } }>('/v1/tasks/:id', async (request, reply) => {
  const caller = await authenticate(request, reply);
  if (!isUuid(request.params.id)) throw taskNotFound();
  const id = request.params.id.toLowerCase();
  const patch = parseTaskBody(request.body, true);
  if (!UPDATABLE_FIELDS.some((field) => patch[field] !== undefined)) {
    throw new Invalid([{ field: 'body', message: `send at least one of ${UPDATABLE_FIELDS.join(', ')}` }]);
  }
  const ifMatch = request.headers['if-match'];
  const precondition = preconditionFromIfMatch(ifMatch, id);
  const dueAt = patch.dueAt === undefined || patch.dueAt === null ? patch.dueAt : new Date(patch.dueAt).toISOString();
  const update = buildUpdateQuery(caller.id, id, { ...patch, dueAt }, precondition);
  const { rows } = await pool.query<TaskRow>(update.text, update.params);
  const row = rows[0];
  if (row === undefined) {
    // 404 when the caller cannot see it, 403 when they may not update it, else 412 (TasksService.failWrite).
    authorize(await accessOf(pool, caller.id, id), 'update', taskNotFound);
    throw new Problem(
      412,
      'precondition-failed',
      'The task changed since you read it (If-Match does not name its current ETag); nothing was changed. GET it again and retry.',
    );
  }
  // Everyone who can (or could until now) see the task: their cached reads go stale.
  if (cache.enabled) {
    const audience = await pool.query<{ userId: string }>(AUDIENCE_SQL, [id]);
    await cache.invalidate(...audience.rows.map((r) => r.userId));
  }
  void reply.header('etag', taskEtag(row.id, row.version, row.access));
  return toTaskDto(row);
});

interface ShareBody {
  user: { id: string; name: string; email: string };
  role: ShareRole;
  createdAt: string;
}

/**
 * The caller's right to `action` on the task `id`, as TaskAccessGuard checks it on the sharing
 * routes before the body is validated: 404 when they cannot see the task, 403 when they may not.
 */
async function requireTaskAccess(callerId: string, rawId: string, action: 'share' | 'leave'): Promise<string> {
  if (!isUuid(rawId)) throw taskNotFound();
  const id = rawId.toLowerCase();
  authorize(await accessOf(pool, callerId, id), action, taskNotFound);
  return id;
}

/**
 * A grant or a change of role, as SharesService.grant (after the access check): the grantee by
 * canonical email, then one transaction (the task row locked FOR NO KEY UPDATE, the grantee's
 * current role, the count of grants, the insert or update, the grant read back), then the
 * grantee's cache.
 */
async function grantShare(callerId: string, taskId: string, email: string, role: ShareRole): Promise<{ share: ShareBody; created: boolean }> {
  const { rows: users } = await pool.query<{ u_id: string; u_disabled: boolean }>(FIND_USER_BY_EMAIL_SQL, [canonicalEmail(email)]);
  const grantee = users[0];
  const client = await pool.connect();
  let outcome: { share: ShareBody; created: boolean };
  try {
    await client.query('START TRANSACTION');
    const { rows: tasks } = await client.query<{ ownerId: string; createdAt: Date; updatedAt: Date; priority: string; dueAt: Date | null }>(
      SHARE_SQL.lockTask,
      [taskId],
    );
    const task = tasks[0];
    // Deleted since the access check let the owner in.
    if (task === undefined) throw taskNotFound();
    if (grantee === undefined) throw new Problem(404, 'user-not-found', 'No account has this email');
    if (grantee.u_id === callerId) {
      throw new Problem(400, 'cannot-share-with-self', 'You own this task; share it with someone else', [{ field: 'email', message: 'email is your own' }]);
    }
    if (grantee.u_disabled) throw new Problem(409, 'account-disabled', 'This account is disabled and cannot be given access');
    const { rows: current } = await client.query<{ role: ShareRole }>(SHARE_SQL.roleOf, [taskId, grantee.u_id]);
    const currentRole = current[0]?.role;
    if (currentRole === role) throw new Problem(409, 'already-shared', `This task is already shared with this user as ${role}; nothing was changed`);
    if (currentRole === undefined) {
      const { rows: counted } = await client.query<{ count: number }>(SHARE_SQL.count, [taskId]);
      if ((counted[0]?.count ?? 0) >= MAX_SHARES_PER_TASK) {
        throw new Problem(409, 'share-limit-reached', `A task can be shared with at most ${MAX_SHARES_PER_TASK} accounts; revoke one first`);
      }
      await client.query(SHARE_SQL.insert, [taskId, grantee.u_id, task.ownerId, role, task.createdAt, task.updatedAt, task.priority, task.dueAt]);
    } else {
      await client.query(SHARE_SQL.updateRole, [taskId, grantee.u_id, role]);
    }
    const { rows: shares } = await client.query<{ userId: string; name: string; email: string; role: ShareRole; createdAt: Date }>(SHARE_SQL.find, [
      taskId,
      grantee.u_id,
    ]);
    const share = shares[0];
    if (share === undefined) throw new Error('a grant just written is missing');
    outcome = {
      share: { user: { id: share.userId, name: share.name, email: share.email }, role: share.role, createdAt: share.createdAt.toISOString() },
      created: currentRole === undefined,
    };
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  await cache.invalidate(outcome.share.user.id);
  return outcome;
}

app.put<{ Params: { id: string } }>('/v1/tasks/:id/shares', async (request, reply) => {
  const caller = await authenticate(request, reply);
  const id = await requireTaskAccess(caller.id, request.params.id, 'share');
  const body = parseShareBody(request.body);
  const { share, created } = await grantShare(caller.id, id, body.email, body.role);
  if (created) void reply.status(201).header('location', `/v1/tasks/${id}/shares/${share.user.id}`);
  else void reply.status(200);
  return share;
});

/** A revocation by the owner, or a grantee leaving (the access check, then SharesService.revoke: one DELETE). */
app.delete<{ Params: { id: string; userId: string } }>('/v1/tasks/:id/shares/:userId', async (request, reply) => {
  const caller = await authenticate(request, reply);
  // Naming oneself is leaving (a grantee's right); naming anyone else is revoking (the owner's).
  const id = await requireTaskAccess(caller.id, request.params.id, request.params.userId.toLowerCase() === caller.id ? 'leave' : 'share');
  if (!isUuid(request.params.userId)) throw shareNotFound();
  const userId = request.params.userId.toLowerCase();
  const { rows } = await pool.query(SHARE_SQL.delete, [id, userId]);
  if (rows.length === 0) throw shareNotFound();
  await cache.invalidate(userId);
  return reply.status(204).send();
});

async function main(): Promise<void> {
  if (redis) await redis.connect();
  await pool.query('SELECT 1');
  await app.listen({ host: config.host, port: config.port });
  const stop = async (): Promise<void> => {
    await app.close();
    await pool.end();
    if (redis?.isOpen) redis.destroy();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline: start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
