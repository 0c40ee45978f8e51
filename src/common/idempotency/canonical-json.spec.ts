import { canonicalJson, hashRequest } from './canonical-json';

describe('request hashing for Idempotency-Key', () => {
  it('ignores key order at every level and absent (undefined) fields', () => {
    const a = { title: 'x', tags: ['a', 'b'], nested: { b: 1, a: [{ y: 2, x: 1 }] }, dueAt: undefined };
    const b = { nested: { a: [{ x: 1, y: 2 }], b: 1 }, tags: ['a', 'b'], title: 'x' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(hashRequest(a)).toBe(hashRequest(b));
  });

  it('tells apart every difference that matters', () => {
    const base = { title: 'x', tags: ['a', 'b'], dueAt: null };
    const variants = [
      base,
      { ...base, title: 'y' },
      { ...base, tags: ['b', 'a'] },
      { ...base, tags: ['a'] },
      { ...base, dueAt: '2026-01-01T00:00:00.000Z' },
      { title: 'x', tags: ['a', 'b'] },
      { ...base, title: 1 },
    ];
    expect(new Set(variants.map(hashRequest)).size).toBe(variants.length);
    expect(hashRequest(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes plain JSON with sorted keys, and null for what JSON cannot hold', () => {
    expect(canonicalJson({ b: [1, 'x', null, { d: true, c: undefined }], a: { z: 1, y: 2 } })).toBe('{"a":{"y":2,"z":1},"b":[1,"x",null,{"d":true}]}');
    expect(canonicalJson({ B: 1, a: 2, A: 3, b: 4 })).toBe('{"A":3,"B":1,"a":2,"b":4}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
  });
});
