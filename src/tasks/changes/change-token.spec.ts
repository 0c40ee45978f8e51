import { ProblemException } from '../../common/problem/problem.exception';
import { ChangeTokenCodec, comparePositions, FEED_START, nextPosition } from './change-token';
import { SignedTokenCodec } from '../../common/cursor/signed-token';

const SECRET = 'secret-one-secret-one-secret-one-32';

describe('ChangeTokenCodec', () => {
  const codec = new ChangeTokenCodec(SECRET);

  it('treats an absent or empty token as the start of the feed', () => {
    expect(codec.decode(undefined)).toEqual(FEED_START);
    expect(codec.decode('')).toEqual(FEED_START);
  });

  it('round-trips positions beyond 2^53 exactly', () => {
    const position = { xid: 9_007_199_254_740_993n, seq: 123n };
    expect(codec.decode(codec.encode(position))).toEqual(position);
  });

  it('accepts every position up to the largest 64-bit signed integer, on both halves', () => {
    const max = 2n ** 63n - 1n;
    for (const position of [FEED_START, { xid: max, seq: 0n }, { xid: 0n, seq: max }, { xid: max, seq: max }, { xid: 10n, seq: 20n }]) {
      expect(codec.decode(codec.encode(position))).toEqual(position);
    }
  });

  it.each([
    'garbage',
    'x.y',
    new SignedTokenCodec(SECRET, 'tasks-cursor').encode({ v: 1, x: '1', s: '1' }),
    new SignedTokenCodec('another-secret-another-secret-xx', 'tasks-changes').encode({ v: 1, x: '1', s: '1' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '-1', s: '1' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '1 OR 1=1', s: '1' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '99999999999999999999', s: '1' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 2, x: '1', s: '1' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: 1, s: 1 }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '1', s: 1 }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '1', s: '1 OR 1=1' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '01', s: '1' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '1', s: '01' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '9223372036854775808', s: '1' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '1', s: '9223372036854775808' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '1', s: '123456789012345678901' }),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode(null),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode('1.1'),
    new SignedTokenCodec(SECRET, 'tasks-changes').encode({ x: '1', s: '1' }),
  ])('rejects %j with a 400 problem', (token) => {
    expect(() => codec.decode(token)).toThrow(ProblemException);
    try {
      codec.decode(token);
    } catch (error) {
      const detail = 'The since token is malformed or has been altered; start again with an empty since';
      expect((error as ProblemException).getStatus()).toBe(400);
      expect((error as ProblemException).problemType).toBe('invalid-change-token');
      expect((error as ProblemException).message).toBe(detail);
      expect((error as ProblemException).errors).toEqual([{ field: 'since', message: detail }]);
    }
  });

  it('accepts a token issued by another instance or an earlier release with the same JWT_SECRET', () => {
    const issuedElsewhere = new SignedTokenCodec(SECRET, 'tasks-changes').encode({ v: 1, x: '5', s: '6' });
    expect(codec.decode(issuedElsewhere)).toEqual({ xid: 5n, seq: 6n });
    expect(new ChangeTokenCodec(SECRET).decode(codec.encode({ xid: 7n, seq: 8n }))).toEqual({ xid: 7n, seq: 8n });
  });
});

describe('nextPosition', () => {
  const since = { xid: 100n, seq: 7n };

  it('resumes after the last change when the page was cut by the limit', () => {
    expect(nextPosition(since, 500n, { xid: 120n, seq: 9n }, true)).toEqual({ xid: 120n, seq: 9n });
  });

  it('jumps to the horizon once everything below it was delivered', () => {
    expect(nextPosition(since, 500n, { xid: 120n, seq: 9n }, false)).toEqual({ xid: 500n, seq: 0n });
    expect(nextPosition(since, 500n, undefined, false)).toEqual({ xid: 500n, seq: 0n });
    expect(nextPosition(since, 500n, undefined, true)).toEqual({ xid: 500n, seq: 0n });
  });

  it('never moves backwards', () => {
    expect(nextPosition({ xid: 600n, seq: 3n }, 500n, undefined, false)).toEqual({ xid: 600n, seq: 3n });
  });

  it('orders by transaction first, then by sequence', () => {
    expect(comparePositions({ xid: 1n, seq: 99n }, { xid: 2n, seq: 1n })).toBe(-1);
    expect(comparePositions({ xid: 2n, seq: 2n }, { xid: 2n, seq: 1n })).toBe(1);
    expect(comparePositions({ xid: 2n, seq: 1n }, { xid: 2n, seq: 1n })).toBe(0);
    expect(comparePositions({ xid: 3n, seq: 1n }, { xid: 2n, seq: 99n })).toBe(1);
    expect(comparePositions({ xid: 2n, seq: 1n }, { xid: 2n, seq: 2n })).toBe(-1);
  });
});
