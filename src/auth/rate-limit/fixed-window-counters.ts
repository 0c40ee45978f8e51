/** What one counted hit answers: hits in the window, ms until the window ends, ms of block left (0: not blocked). */
export type WindowReply = [hits: number, windowMs: number, blockMs: number];

interface Entry {
  hits: number;
  /** End of the counting window, or of the block once the limit was passed. */
  until: number;
  blocked: boolean;
}

/**
 * In-process rate-limit counters with exactly the semantics of the Redis script
 * (INCREMENT_SCRIPT in rate-limit-scripts.ts), so a limit means the same with and without
 * Redis: a fixed window per key that starts at its first hit; the hit that passes the limit starts
 * a block of `blockMs` during which hits are refused without being counted, then a fresh window.
 *
 * O(1) per hit and no allocation after a key's first hit (@nestjs/throttler's own in-memory store
 * keeps a timestamp per hit and copies that list on every request). Memory is bounded: expired
 * keys are swept periodically, and past `maxKeys` the expired ones go first, then the oldest.
 */
export class FixedWindowCounters {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
    sweepIntervalMs = 60_000,
  ) {
    this.sweeper = setInterval(() => this.sweepExpired(), sweepIntervalMs);
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  hit(key: string, ttlMs: number, limit: number, blockMs: number): WindowReply {
    const now = this.now();
    let entry = this.entries.get(key);
    if (entry !== undefined && entry.until <= now) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (entry?.blocked) return [limit + 1, entry.until - now, entry.until - now];
    if (entry === undefined) {
      entry = { hits: 0, until: now + ttlMs, blocked: false };
      this.entries.set(key, entry);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: making room early only costs time (it drops expired keys, which their next hit discards anyway, and evicts nothing within the budget)
      if (this.entries.size > this.maxKeys) this.makeRoom();
    }
    entry.hits += 1;
    if (entry.hits > limit) {
      entry.blocked = true;
      entry.until = now + blockMs;
      return [entry.hits, blockMs, blockMs];
    }
    return [entry.hits, entry.until - now, 0];
  }

  /**
   * Gives back one hit of the current window (a reserved attempt that turned out not to count);
   * a block, once started, stays.
   */
  refund(key: string): void {
    const entry = this.entries.get(key);
    // An expired window needs no check here: the next hit discards it whatever its count.
    if (entry === undefined || entry.blocked || entry.hits === 0) return;
    entry.hits -= 1;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweepExpired(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
  }

  /** Expired keys first; if that is not enough, the oldest tenth, so this runs once per many new keys. */
  private makeRoom(): void {
    this.sweepExpired();
    if (this.entries.size <= this.maxKeys) return;
    let excess = this.entries.size - Math.floor(this.maxKeys * 0.9);
    for (const key of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(key);
    }
  }
}
