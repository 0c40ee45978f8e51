import { v7 as uuidv7 } from 'uuid';
import { decodeUserCursor, encodeUserCursor } from './user-cursor';

const ID = '0193a1f0-7b8c-7def-8123-456789abcdef';

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
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['a JSON number', Buffer.from('7').toString('base64url')],
    ['an id with a prefix', Buffer.from(JSON.stringify({ before: `0${ID}` })).toString('base64url')],
    ['an id with a suffix', Buffer.from(JSON.stringify({ before: `${ID}0` })).toString('base64url')],
    ['a non-string id', Buffer.from(JSON.stringify({ before: [ID] })).toString('base64url')],
  ])('refuse %s', (_what, cursor) => {
    expect(decodeUserCursor(cursor)).toBeUndefined();
  });
});
