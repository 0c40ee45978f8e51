/**
 * Experiment, preloaded into one set of Taskwright servers (`npm run bench -- --versus-experiment
 * no-deadlines`): Taskwright as it is, minus the client-side deadlines and the Redis circuit
 * breaker, so one run measures what they cost (issue 17 allows at most 5 % of any scenario's req/s).
 *
 * - Redis: `RedisService#call` runs the command directly, with no reply deadline and no breaker.
 * - PostgreSQL: the pool's clients are plain node-postgres clients without `query_timeout` (no
 *   timer per query, no DeadlineClient); the server-side statement_timeout stays, as before.
 *
 * The client's PING every REDIS_PING_INTERVAL_MS (two small commands a second) is left in.
 */
import './no-pg-deadline';
import './no-redis-deadline';
