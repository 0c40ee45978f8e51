import { etagOfJson, ifMatchMatches, ifNoneMatchMatches } from './etag';

describe('etag helpers', () => {
  it('derives a stable strong ETag from the body', () => {
    expect(etagOfJson('{"a":1}')).toBe(etagOfJson('{"a":1}'));
    expect(etagOfJson('{"a":1}')).not.toBe(etagOfJson('{"a":2}'));
    expect(etagOfJson('{"a":1}')).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
  });

  it('matches If-None-Match weakly, in lists and with *', () => {
    expect(ifNoneMatchMatches('"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('W/"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('"a", "x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('*', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('"y"', '"x"')).toBe(false);
    expect(ifNoneMatchMatches(undefined, '"x"')).toBe(false);
    expect(ifNoneMatchMatches('', '"x"')).toBe(false);
  });

  it('takes W/ as a weakness marker only at the start of a tag', () => {
    expect(ifNoneMatchMatches('W/"x"', 'W/"x"')).toBe(true);
    expect(ifNoneMatchMatches('"x"', 'W/"x"')).toBe(true);
    expect(ifNoneMatchMatches('"ax"', '"aW/x"')).toBe(false);
    expect(ifNoneMatchMatches('"aW/x"', '"ax"')).toBe(false);
  });

  it('matches If-Match strongly only', () => {
    expect(ifMatchMatches('"x"', '"x"')).toBe(true);
    expect(ifMatchMatches('W/"x"', '"x"')).toBe(false);
    expect(ifMatchMatches('"a","x"', '"x"')).toBe(true);
    expect(ifMatchMatches('"y"', '"x"')).toBe(false);
    expect(ifMatchMatches('W/"x"', 'W/"x"')).toBe(false);
    expect(ifMatchMatches(' "a" , "x" ', '"x"')).toBe(true);
  });

  it('lets If-Match: * match any current representation', () => {
    expect(ifMatchMatches('*', '"x"')).toBe(true);
    expect(ifMatchMatches('"a", *', '"x"')).toBe(true);
  });
});
