import { ExpiringMap } from './expiring-map';

describe('ExpiringMap', () => {
  it('forgets an entry once its time to live has passed', () => {
    let now = 1000;
    const map = new ExpiringMap<string>(10, () => now);
    map.set('a', 'active', 500);
    expect(map.get('a')).toBe('active');
    now = 1499;
    expect(map.get('a')).toBe('active');
    now = 1500;
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('drops expired entries first, then the oldest, when full', () => {
    let now = 0;
    const map = new ExpiringMap<number>(2, () => now);
    map.set('short', 1, 10);
    map.set('old', 2, 1000);
    now = 20;
    map.set('new', 3, 1000);
    expect(map.get('short')).toBeUndefined();
    expect(map.get('old')).toBe(2);
    map.set('newer', 4, 1000);
    expect(map.get('old')).toBeUndefined();
    expect([map.get('new'), map.get('newer')]).toEqual([3, 4]);
  });

  it('sets if absent only when no live entry exists', () => {
    let now = 0;
    const map = new ExpiringMap<string>(10, () => now);
    expect(map.setIfAbsent('a', 'revoked', 100)).toBe(true);
    expect(map.setIfAbsent('a', 'active', 100)).toBe(false);
    expect(map.get('a')).toBe('revoked');
    now = 100;
    expect(map.setIfAbsent('a', 'active', 100)).toBe(true);
    expect(map.get('a')).toBe('active');
  });

  it('lists the keys of live entries only', () => {
    let now = 0;
    const map = new ExpiringMap<number>(10, () => now);
    map.set('a', 1, 100);
    map.set('b', 2, 50);
    now = 60;
    expect(map.keys()).toEqual(['a']);
  });

  it('treats a re-set key as new, and deletes on request', () => {
    let now = 0;
    const map = new ExpiringMap<number>(2, () => now);
    map.set('a', 1, 1000);
    map.set('b', 2, 1000);
    map.set('a', 3, 1000);
    map.set('c', 4, 1000);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(3);
    map.delete('a');
    expect(map.get('a')).toBeUndefined();
    now = 5000;
    expect(map.get('c')).toBeUndefined();
  });
});
