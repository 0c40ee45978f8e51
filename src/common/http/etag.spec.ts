import { etagOf, ifMatchMatches, ifNoneMatchMatches } from './etag';

describe('etag helpers', () => {
  it('derives a stable strong ETag from the body', () => {
    expect(etagOf({ a: 1 })).toBe(etagOf({ a: 1 }));
    expect(etagOf({ a: 1 })).not.toBe(etagOf({ a: 2 }));
    expect(etagOf({ a: 1 })).toMatch(/^"[A-Za-z0-9_-]+"$/);
  });

  it('matches If-None-Match weakly, in lists and with *', () => {
    expect(ifNoneMatchMatches('"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('W/"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('"a", "x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('*', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('"y"', '"x"')).toBe(false);
    expect(ifNoneMatchMatches(undefined, '"x"')).toBe(false);
  });

  it('matches If-Match strongly only', () => {
    expect(ifMatchMatches('"x"', '"x"')).toBe(true);
    expect(ifMatchMatches('W/"x"', '"x"')).toBe(false);
    expect(ifMatchMatches('"a","x"', '"x"')).toBe(true);
    expect(ifMatchMatches('"y"', '"x"')).toBe(false);
  });
});
