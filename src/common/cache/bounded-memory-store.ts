import { LRUCache } from 'lru-cache';

/**
 * The in-process cache store (no REDIS_URL): lru-cache bounded by an estimate of the memory its
 * values take, not by their number. A count bound alone lets a client fill the heap with large
 * pages (many distinct queries over tasks with long descriptions); this one evicts the least
 * recently used entries once their total passes `maxBytes`, and never keeps a value larger than
 * a sixteenth of it. Keyv takes it as a Map-like store and hands it values as they are (its
 * serialisation is turned off for it, so there is no JSON round trip per read).
 *
 * The adapter is needed because Keyv calls `set(key, value, ttl)` with the ttl as a number, where
 * lru-cache takes an options object (and throws on a number).
 */
export class BoundedMemoryStore {
  private readonly cache: LRUCache<string, object>;

  constructor(maxBytes: number) {
    this.cache = new LRUCache<string, object>({
      maxSize: maxBytes,
      maxEntrySize: Math.floor(maxBytes / 16),
      sizeCalculation: (value, key) => estimateBytes(key) + estimateBytes(value),
    });
  }

  /** Bytes the stored values are estimated to take. */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  get(key: string): object | undefined {
    return this.cache.get(key);
  }

  has(key: string): boolean {
    return this.cache.has(key);
  }

  set(key: string, value: object, ttl?: number): boolean {
    this.cache.set(key, value, ttl === undefined ? {} : { ttl });
    return this.cache.has(key);
  }

  delete(key: string): boolean {
    return this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
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
