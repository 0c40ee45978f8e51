import { v7 as uuidv7 } from 'uuid';
import { decodeUserCursor, encodeUserCursor } from './user-cursor';

describe('user cursors', () => {
  it('round-trip the last id of a page', () => {
    const id = uuidv7();
    const cursor = encodeUserCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
    expect(decodeUserCursor(cursor)).toBe(id);
  });

  it.each([
    ['garbage', '!!!'],
    ['base64 of something else', Buffer.from('hello').toString('base64url')],
    ['a non-uuid id', Buffer.from(JSON.stringify({ before: "x' OR 1=1" })).toString('base64url')],
    ['a JSON array', Buffer.from('[1]').toString('base64url')],
  ])('refuse %s', (_what, cursor) => {
    expect(decodeUserCursor(cursor)).toBeUndefined();
  });
});
