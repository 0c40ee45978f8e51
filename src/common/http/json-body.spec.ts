import { exceedsJsonDepth } from './json-body';

describe('exceedsJsonDepth', () => {
  it('counts arrays and objects, and stops at the first level past the limit', () => {
    expect(exceedsJsonDepth('{"a":[1,{"b":[]}]}', 4)).toBe(false);
    expect(exceedsJsonDepth('{"a":[1,{"b":[]}]}', 3)).toBe(true);
    expect(exceedsJsonDepth('['.repeat(33) + ']'.repeat(33), 32)).toBe(true);
    expect(exceedsJsonDepth('[[],[],[],[]]', 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(`{"title":"${'[{'.repeat(100)}"}`, 1)).toBe(false);
    expect(exceedsJsonDepth(String.raw`{"t":"a\"[[[[","u":"\\"}`, 1)).toBe(false);
    expect(exceedsJsonDepth(String.raw`{"t":"\\",[[["x"]]]}`, 2)).toBe(true);
  });
});
