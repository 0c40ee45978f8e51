import { withDeadline } from '../../src/redis/deadline';

/**
 * The reply deadline a bare server needs too, so it does not hang on a silent Redis: Taskwright's
 * own deadline race (withDeadline, as RedisService.call() uses it), without its breaker and
 * fallbacks.
 */
let deadlineMs = 500;

export function setRedisDeadline(ms: number): void {
  deadlineMs = ms;
}

export function bounded<T>(pending: Promise<T>): Promise<T> {
  return withDeadline(pending, deadlineMs, () => new Error(`redis did not answer within ${deadlineMs} ms`));
}
