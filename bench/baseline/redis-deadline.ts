/**
 * The reply deadline a bare server needs too, so it does not hang on a silent Redis: the same
 * timer race per call as Taskwright's RedisService.call() (without its breaker and fallbacks).
 */
let deadlineMs = 500;

export function setRedisDeadline(ms: number): void {
  deadlineMs = ms;
}

export function bounded<T>(pending: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis did not answer within ${deadlineMs} ms`)), deadlineMs);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
