import { etagOfJson, ifNoneMatchMatches } from './etag';

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
});
