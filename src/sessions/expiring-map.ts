/**
 * A Map whose entries vanish after their time to live, with a size cap so an attacker minting
 * sessions cannot grow it without bound (the oldest entries go first; losing one only costs a
 * database lookup).
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    // Re-inserting moves the key to the end, so insertion order stays "oldest first".
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    if (this.entries.size > this.maxEntries) this.evict();
  }

  /** Sets only when no live entry exists; true when it did set. */
  setIfAbsent(key: string, value: V, ttlMs: number): boolean {
    if (this.get(key) !== undefined) return false;
    this.set(key, value, ttlMs);
    return true;
  }

  /** The keys of live entries, oldest first. */
  keys(): string[] {
    const now = this.now();
    return [...this.entries].filter(([, entry]) => entry.expiresAt > now).map(([key]) => key);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
