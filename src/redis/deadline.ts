/**
 * Settles as `pending` does, or rejects with `timedOut()` once `ms` passed without an outcome, so a
 * caller never hangs on a Redis that stopped answering. The late outcome of a call that missed
 * its deadline is consumed (a no-op by then).
 */
export function withDeadline<T>(pending: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timedOut()), ms);
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
