/**
 * The in-process cache store (no REDIS_URL): a least-recently-used map bounded by an estimate of
 * the memory its values take, not by their number. A count bound alone lets a client fill the
 * heap with large pages (many distinct queries over tasks with long descriptions); this one
 * evicts the least recently read entries once their total passes `maxBytes`, and never keeps a
 * value larger than a sixteenth of it.
 *
 * It implements the Map-like interface Keyv takes as a store, and keeps what Keyv hands it as is
 * (Keyv's serialisation is turned off for it, so there is no JSON round trip per read).
 */
export class BoundedMemoryStore {
  private readonly entries = new Map<string, { value: unknown; size: number; tick: number }>();
  private used = 0;
  /** Counts insertions and moves: an entry's `tick` says how far back in the order it sits. */
  private tick = 0;
  readonly maxEntryBytes: number;

  constructor(readonly maxBytes: number) {
    this.maxEntryBytes = Math.floor(maxBytes / 16);
  }

  /** Bytes the stored values are estimated to take. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Most recently read goes last: a Map iterates in insertion order, so the first is the LRU.
    // An entry still in the newer half stays where it is (the next evictions cannot reach it);
    // moving it on every read costs a delete and an insert, and the generation keys are read by
    // every request.
    if (this.tick - entry.tick > this.entries.size >> 1) {
      this.entries.delete(key);
      entry.tick = ++this.tick;
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  getMany(keys: string[]): unknown[] {
    return keys.map((key) => this.get(key));
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: unknown): boolean {
    this.delete(key);
    const size = estimateBytes(key) + estimateBytes(value);
    if (size > this.maxEntryBytes) return false;
    this.entries.set(key, { value, size, tick: ++this.tick });
    this.used += size;
    for (const [oldest, entry] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.size;
    }
    return true;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.used -= entry.size;
    return true;
  }

  deleteMany(keys: string[]): boolean {
    let deleted = false;
    for (const key of keys) deleted = this.delete(key) || deleted;
    return deleted;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}

const OBJECT_OVERHEAD = 64;

/**
 * A deliberately high estimate of what a value takes on the V8 heap: two bytes per character
 * (strings may be stored as UTF-16), a fixed overhead per object and property.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  if (typeof value === 'string') return 2 * value.length + 16;
  if (value === null || typeof value !== 'object') return 16;
  if (depth > 8) return OBJECT_OVERHEAD;
  let total = OBJECT_OVERHEAD;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) total += 2 * key.length + 16 + estimateBytes(item, depth + 1);
  return total;
}
