import { v7 as uuidv7 } from 'uuid';
import { ProblemException } from '../common/problem/problem.exception';
import { SignedTokenCodec } from '../common/cursor/signed-token';
import { UserCursorCodec } from './user-cursor';

const SECRET = 'a-test-secret-that-is-long-enough-for-hmac';
const ID = '0193a1f0-7b8c-7def-8123-456789abcdef';
const NONE = {};
const codec = new UserCursorCodec(SECRET);
/** Tokens signed with the cursor's own key: what only a bug or a leaked secret could produce. */
const signed = new SignedTokenCodec(SECRET, 'users-cursor');

function refusal(token: string, filters = NONE): ProblemException {
  try {
    codec.decode(token, filters);
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('user cursors', () => {
  it('round-trip the last id of a page, for the filters they were issued for', () => {
    const id = uuidv7();
    const filters = { emailCanonicalPrefix: 'ada', role: 'user' };
    const cursor = codec.encode(id, filters);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(codec.decode(cursor, filters)).toBe(id);
  });

  it('refuse a cursor from other filters with 400 invalid-cursor naming the field', () => {
    const cursor = codec.encode(ID, { role: 'admin' });
    for (const filters of [NONE, { role: 'user' }, { role: 'admin', emailCanonicalPrefix: 'a' }]) {
      const problem = refusal(cursor, filters);
      expect({ status: problem.getStatus(), type: problem.problemType, errors: problem.errors }).toEqual({
        status: 400,
        type: 'invalid-cursor',
        errors: [{ field: 'cursor', message: 'The cursor was issued for other filters; send the same filters as the first page, or start again' }],
      });
    }
  });

  const fingerprintOfNone = (JSON.parse(Buffer.from(codec.encode(ID, NONE).split('.')[0] ?? '', 'base64url').toString()) as { f: string }).f;
  it.each([
    ['garbage', '!!!'],
    ['an unsigned payload', Buffer.from(JSON.stringify({ v: 1, f: fingerprintOfNone, b: ID })).toString('base64url')],
    [
      'a tampered payload',
      `${Buffer.from(JSON.stringify({ v: 1, f: fingerprintOfNone, b: uuidv7() })).toString('base64url')}.${codec.encode(ID, NONE).split('.')[1]}`,
    ],
    ['a tasks cursor', new SignedTokenCodec(SECRET, 'tasks-cursor').encode({ v: 1, f: fingerprintOfNone, b: ID })],
    ['a signed null', signed.encode(null)],
    ['a signed array', signed.encode([ID])],
    ['a signed number', signed.encode(7)],
    ['another version', signed.encode({ v: 2, f: fingerprintOfNone, b: ID })],
    ['a non-uuid id', signed.encode({ v: 1, f: fingerprintOfNone, b: "x' OR 1=1" })],
    ['an id with a prefix', signed.encode({ v: 1, f: fingerprintOfNone, b: `0${ID}` })],
    ['an id with a suffix', signed.encode({ v: 1, f: fingerprintOfNone, b: `${ID}0` })],
    ['a non-string id', signed.encode({ v: 1, f: fingerprintOfNone, b: [ID] })],
    ['an extra key', signed.encode({ v: 1, f: fingerprintOfNone, b: ID, admin: true })],
  ])('refuse %s with 400 invalid-cursor, saying to start again', (_what, token) => {
    const problem = refusal(token);
    expect({ status: problem.getStatus(), type: problem.problemType, field: problem.errors?.[0]?.field }).toEqual({
      status: 400,
      type: 'invalid-cursor',
      field: 'cursor',
    });
    // The detail tells the client what to do.
    expect(problem.message).toMatch(/start again without a cursor/);
  });

  it('accept the same payload signed with the right key (so the refusals above are about what they name)', () => {
    expect(codec.decode(signed.encode({ v: 1, f: fingerprintOfNone, b: ID }), NONE)).toBe(ID);
  });
});
