import { BoundedMemoryStore, estimateBytes } from './bounded-memory-store';

const KiB = 1024;

describe('BoundedMemoryStore', () => {
  it('keeps the estimated size of its values under the budget, evicting the least recently read', () => {
    const store = new BoundedMemoryStore(64 * KiB);
    const page = 'x'.repeat(1500); // about 3 KiB each
    for (let i = 0; i < 100; i++) {
      expect(store.set(`k${i}`, { value: { json: page, etag: `"${i}"` }, expires: 1 })).toBe(true);
      if (i === 10) store.get('k0'); // read recently: survives the next evictions
      expect(store.bytes).toBeLessThanOrEqual(64 * KiB);
    }
    expect(store.size).toBeLessThan(25);
    expect(store.has('k99')).toBe(true);
    expect(store.has('k1')).toBe(false);
    expect(store.get('k5')).toBeUndefined();
    const fresh = new BoundedMemoryStore(64 * KiB);
    for (let i = 0; i < 12; i++) fresh.set(`k${i}`, page);
    fresh.get('k0');
    for (let i = 12; i < 30; i++) fresh.set(`k${i}`, page);
    expect(fresh.has('k0')).toBe(true);
    expect(fresh.has('k1')).toBe(false);
  });

  it('keeps an entry that is read again and again while others come and go', () => {
    const store = new BoundedMemoryStore(64 * KiB);
    store.set('generation', 'g1');
    for (let i = 0; i < 1000; i++) {
      store.set(`page${i}`, 'z'.repeat(1000));
      expect(store.get('generation')).toBe('g1');
    }
    expect(store.bytes).toBeLessThanOrEqual(64 * KiB);
    expect(store.has('page0')).toBe(false);
  });

  it('refuses a value larger than a sixteenth of the budget, and replaces rather than duplicates', () => {
    const store = new BoundedMemoryStore(64 * KiB);
    expect(store.set('big', 'y'.repeat(3 * KiB))).toBe(false);
    expect(store.has('big')).toBe(false);
    expect(store.bytes).toBe(0);
    store.set('a', 'one');
    store.set('a', 'three');
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(estimateBytes('a') + estimateBytes('three'));
    expect(store.getMany(['a', 'missing'])).toEqual(['three', undefined]);
    expect(store.deleteMany(['a', 'missing'])).toBe(true);
    expect(store.bytes).toBe(0);
    store.set('b', 'two');
    store.clear();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it('estimates generously: two bytes per character plus overheads', () => {
    expect(estimateBytes('abcd')).toBeGreaterThanOrEqual(8);
    expect(estimateBytes({ json: 'x'.repeat(1000) })).toBeGreaterThan(2000);
    expect(estimateBytes({ a: { b: { c: 'deep' } } })).toBeGreaterThan(3 * 64);
  });
});
