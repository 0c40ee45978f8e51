import { uuidv7 } from './uuid';

describe('uuidv7', () => {
  it('produces RFC 9562 version 7 UUIDs carrying the timestamp', () => {
    const id = uuidv7(0x0123456789ab);
    expect(id).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is monotonic within one millisecond', () => {
    const ids = Array.from({ length: 500 }, () => uuidv7(1_700_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never repeats its random part, across many refills of the random pool', () => {
    let now = 1_800_000_000_000;
    // One id per millisecond: each takes 18 bytes of the pool, so 5,000 ids refill it about 20 times.
    const ids = Array.from({ length: 5000 }, () => uuidv7((now += 1)));
    const randomParts = ids.map((id) => id.replace(/-/g, '').slice(16));
    expect(new Set(randomParts).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(14, 18))).size).toBeGreaterThan(100); // the 12-bit counter starts at random
  });
});
