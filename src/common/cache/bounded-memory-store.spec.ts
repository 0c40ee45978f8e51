import { Keyv } from 'keyv';
import { BoundedMemoryStore, estimateBytes } from './bounded-memory-store';

const KiB = 1024;

/** The store as CacheModule uses it: behind Keyv, values kept as they are. */
function keyvOver(store: BoundedMemoryStore): Keyv {
  const keyv = new Keyv({ store });
  keyv.serialize = undefined;
  keyv.deserialize = undefined;
  return keyv;
}

/** cache-manager hands Keyv a ttl in milliseconds on every write. */
const TTL_MS = 60_000;

describe('BoundedMemoryStore', () => {
  it('keeps the estimated size of its values under the budget, evicting the least recently used', async () => {
    const store = new BoundedMemoryStore(64 * KiB);
    const cache = keyvOver(store);
    const page = 'x'.repeat(1500); // about 3 KiB each
    for (let i = 0; i < 100; i++) {
      await cache.set(`k${i}`, { json: page, etag: `"${i}"` }, TTL_MS);
      if (i === 10) await cache.get('k0'); // read recently: survives the next evictions
      expect(store.bytes).toBeLessThanOrEqual(64 * KiB);
    }
    expect(await cache.get('k99')).toEqual({ json: page, etag: '"99"' });
    expect(await cache.get('k1')).toBeUndefined();
  });

  it('keeps an entry that is read again and again while others come and go', async () => {
    const cache = keyvOver(new BoundedMemoryStore(64 * KiB));
    await cache.set('generation', 'g1', TTL_MS);
    for (let i = 0; i < 1000; i++) {
      await cache.set(`page${i}`, 'z'.repeat(1000), TTL_MS);
      expect(await cache.get('generation')).toBe('g1');
    }
    expect(await cache.get('page0')).toBeUndefined();
  });

  it('refuses a value larger than a sixteenth of the budget', async () => {
    const store = new BoundedMemoryStore(64 * KiB);
    const cache = keyvOver(store);
    await cache.set('big', 'y'.repeat(3 * KiB), TTL_MS);
    expect(await cache.get('big')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it('drops an entry once the ttl Keyv passed has run out', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const cache = keyvOver(new BoundedMemoryStore(64 * KiB));
      await cache.set('short', 'lived', 1_000);
      expect(await cache.get('short')).toBe('lived');
      jest.setSystemTime(1_002_000);
      expect(await cache.get('short')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('estimates generously: two bytes per character plus overheads', () => {
    expect(estimateBytes('abcd')).toBeGreaterThanOrEqual(8);
    expect(estimateBytes({ json: 'x'.repeat(1000) })).toBeGreaterThan(2000);
    expect(estimateBytes({ a: { b: { c: 'deep' } } })).toBeGreaterThan(3 * 64);
  });
});
