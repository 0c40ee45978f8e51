/**
 * The wait before attempt `attempts + 1`: exponential from `baseMs`, capped at `maxMs`, with full
 * jitter (a random point in [delay/2, delay]) so instances that failed together do not retry
 * together.
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
