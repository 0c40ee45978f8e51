import { Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** Why a login was refused; a closed set, so the label cannot grow without bound. */
export type LoginFailureReason = 'invalid_credentials' | 'account_disabled';

/**
 * What happened to a grant of access to a task: made, its role changed, revoked by the owner,
 * left by the grantee, or ended because the task was deleted. A closed set, like every label.
 */
export type TaskShareEvent = 'granted' | 'role_changed' | 'revoked' | 'left' | 'task_deleted';
const TASK_SHARE_EVENTS: readonly TaskShareEvent[] = ['granted', 'role_changed', 'revoked', 'left', 'task_deleted'];

/**
 * What happened to outbox events of a topic: written (in a committed transaction), handed to their
 * consumer (for mail: accepted by the SMTP server or logged), an attempt failed and will be retried,
 * or given up after the last attempt.
 */
export type OutboxEventResult = 'queued' | 'sent' | 'retried' | 'failed';
const OUTBOX_EVENT_RESULTS: readonly OutboxEventResult[] = ['queued', 'sent', 'retried', 'failed'];

/** The counters node-postgres keeps on its Pool. */
interface PgPoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: unknown };
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Label value for requests that matched no route: the raw URL would be unbounded. */
const UNMATCHED_ROUTE = 'unmatched';
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function isPgPool(value: unknown): value is PgPoolCounts {
  if (typeof value !== 'object' || value === null) return false;
  const pool = value as Record<string, unknown>;
  return typeof pool.totalCount === 'number' && typeof pool.idleCount === 'number' && typeof pool.waitingCount === 'number';
}

/**
 * Owns the process's Prometheus registry. Other modules record what happened through the typed
 * methods (`cacheHit()`, `rateLimited(name)`, `loginFailed(reason)`), never through prom-client.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly cacheOperations: Counter<'result'>;
  private readonly rateLimitRejections: Counter<'throttler'>;
  private readonly loginFailures: Counter<'reason'>;
  private readonly taskShareEvents: Counter<'event'>;
  private readonly outboxEvents: Counter<'topic' | 'result'>;
  private readonly outboxPendingEvents: Gauge;
  private readonly outboxOldestPendingAge: Gauge;
  private readonly redisCircuit: Gauge;
  private readonly redisTimeouts: Counter;

  constructor(@Optional() private readonly dataSource?: DataSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response, by route template',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.cacheOperations = new Counter({
      name: 'cache_operations_total',
      help: 'Reads of the user-scoped cache, by result',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['hit', 'miss', 'error'] as const) this.cacheOperations.inc({ result }, 0);
    this.rateLimitRejections = new Counter({
      name: 'rate_limit_rejections_total',
      help: 'Requests refused with 429, by throttler',
      labelNames: ['throttler'],
      registers,
    });
    this.loginFailures = new Counter({
      name: 'login_failures_total',
      help: 'Refused login attempts, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.taskShareEvents = new Counter({
      name: 'task_share_events_total',
      help: 'Grants of access to tasks and their ends, by event (granted, role_changed, revoked, left, task_deleted)',
      labelNames: ['event'],
      registers,
    });
    for (const event of TASK_SHARE_EVENTS) this.taskShareEvents.inc({ event }, 0);

    this.outboxEvents = new Counter({
      name: 'outbox_events_total',
      help: 'Outbox events by topic (mail) and result: queued (committed), sent, retried (an attempt failed), failed (gave up)',
      labelNames: ['topic', 'result'],
      registers,
    });
    for (const result of OUTBOX_EVENT_RESULTS) this.outboxEvents.inc({ topic: 'mail', result }, 0);
    this.outboxPendingEvents = new Gauge({
      name: 'outbox_pending_events',
      help: 'Outbox events waiting to be handled (all topics), as of this instance’s last poll',
      registers,
    });
    this.outboxOldestPendingAge = new Gauge({
      name: 'outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outbox event still waiting, as of this instance’s last poll (0 when none)',
      registers,
    });

    this.redisCircuit = new Gauge({
      name: 'redis_circuit_open',
      help: '1 while the Redis circuit breaker is open (calls skipped, fallbacks serving), else 0',
      registers,
    });
    this.redisCircuit.set(0);
    this.redisTimeouts = new Counter({
      name: 'redis_call_timeouts_total',
      help: 'Redis calls that got no reply within REDIS_TIMEOUT_MS',
      registers,
    });

    // Pool gauges are read when Prometheus scrapes, so they are never stale.
    const pool = (): PgPoolCounts | undefined => this.pool();
    new Gauge({
      name: 'db_pool_connections_in_use',
      help: 'PostgreSQL pool connections checked out by a query or transaction',
      registers,
      collect() {
        const p = pool();
        this.set(p ? p.totalCount - p.idleCount : 0);
      },
    });
    new Gauge({
      name: 'db_pool_connections_idle',
      help: 'PostgreSQL pool connections open and idle',
      registers,
      collect() {
        this.set(pool()?.idleCount ?? 0);
      },
    });
    new Gauge({
      name: 'db_pool_requests_waiting',
      help: 'Queries waiting for a free PostgreSQL pool connection',
      registers,
      collect() {
        this.set(pool()?.waitingCount ?? 0);
      },
    });
    new Gauge({
      name: 'db_pool_connections_max',
      help: 'The PostgreSQL pool size (DATABASE_POOL_SIZE)',
      registers,
      collect() {
        const max = pool()?.options?.max;
        this.set(typeof max === 'number' ? max : 0);
      },
    });
  }

  /** The content type of `render()`'s output (Prometheus text format). */
  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** `route` is the route template (`/v1/tasks/:id`), or undefined when no route matched. */
  observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.requestDuration.observe(
      {
        method: HTTP_METHODS.has(method) ? method : 'OTHER',
        route: route ?? UNMATCHED_ROUTE,
        status_code: String(statusCode),
      },
      seconds,
    );
  }

  cacheHit(): void {
    this.cacheOperations.inc({ result: 'hit' });
  }

  cacheMiss(): void {
    this.cacheOperations.inc({ result: 'miss' });
  }

  cacheError(): void {
    this.cacheOperations.inc({ result: 'error' });
  }

  /** `throttler` is the throttler's configured name (e.g. `default`, `auth`). */
  rateLimited(throttler: string): void {
    this.rateLimitRejections.inc({ throttler });
  }

  loginFailed(reason: LoginFailureReason): void {
    this.loginFailures.inc({ reason });
  }

  taskShareChanged(event: TaskShareEvent, count = 1): void {
    this.taskShareEvents.inc({ event }, count);
  }

  outboxEvent(topic: string, result: OutboxEventResult, count = 1): void {
    this.outboxEvents.inc({ topic, result }, count);
  }

  outboxPending(count: number, oldestAgeSeconds: number): void {
    this.outboxPendingEvents.set(count);
    this.outboxOldestPendingAge.set(oldestAgeSeconds);
  }

  redisCircuitChanged(open: boolean): void {
    this.redisCircuit.set(open ? 1 : 0);
  }

  redisCallTimedOut(): void {
    this.redisTimeouts.inc();
  }

  private pool(): PgPoolCounts | undefined {
    if (!this.dataSource?.isInitialized) return undefined;
    // PostgresDriver keeps the pg Pool as `master` (typed `any` by TypeORM).
    const master: unknown = (this.dataSource.driver as { master?: unknown }).master;
    return isPgPool(master) ? master : undefined;
  }
}
