import { ProblemException } from '../../common/problem/problem.exception';
import { SignedTokenCodec } from '../../common/cursor/signed-token';

/**
 * A position in one user's change feed: every change at or before (xid, seq) has been delivered.
 * Both are unsigned 64-bit integers kept as bigint (they exceed 2^53 in a long-lived cluster).
 */
export interface ChangePosition {
  xid: bigint;
  seq: bigint;
}

export const FEED_START: ChangePosition = { xid: 0n, seq: 0n };

interface ChangeTokenPayload {
  v: 1;
  x: string;
  s: string;
}

const DECIMAL = /^(0|[1-9]\d{0,19})$/;
const MAX_INT64 = 2n ** 63n - 1n;

export function comparePositions(a: ChangePosition, b: ChangePosition): number {
  // Stryker disable next-line EqualityOperator: `<=` is the same test here, where the two differ
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  // Stryker disable next-line EqualityOperator: `<=` is the same test here, where the two differ
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/**
 * The `next` token of a feed page. When the page was cut by the limit, more changes below the
 * horizon may follow the last one, so the feed resumes right after it. Otherwise everything below
 * the horizon has been delivered and nothing can still appear there, so the feed resumes at the
 * horizon itself (seq 0 sorts before every real change of that transaction). It never moves back.
 */
export function nextPosition(since: ChangePosition, horizonXid: bigint, last: ChangePosition | undefined, pageWasFull: boolean): ChangePosition {
  const candidate = pageWasFull && last !== undefined ? last : { xid: horizonXid, seq: 0n };
  // Stryker disable next-line EqualityOperator: when the two are equal, returning either is the same position
  return comparePositions(candidate, since) > 0 ? candidate : since;
}

function invalidToken(): ProblemException {
  const detail = 'The since token is malformed or has been altered; start again with an empty since';
  return new ProblemException(400, 'invalid-change-token', detail, [{ field: 'since', message: detail }]);
}

/** Encodes and checks the opaque `since`/`next` tokens of GET /v1/tasks/changes. */
export class ChangeTokenCodec {
  private readonly codec: SignedTokenCodec;

  constructor(secret: string) {
    this.codec = new SignedTokenCodec(secret, 'tasks-changes');
  }

  encode(position: ChangePosition): string {
    const payload: ChangeTokenPayload = { v: 1, x: position.xid.toString(), s: position.seq.toString() };
    return this.codec.encode(payload);
  }

  /** An empty or absent token is the start of the feed; anything not issued by us is a 400. */
  decode(token: string | undefined): ChangePosition {
    if (token === undefined || token === '') return FEED_START;
    const decoded = this.codec.decode(token);
    if (typeof decoded !== 'object' || decoded === null) throw invalidToken();
    const { v, x, s } = decoded as Partial<Record<keyof ChangeTokenPayload, unknown>>;
    if (v !== 1 || typeof x !== 'string' || typeof s !== 'string' || !DECIMAL.test(x) || !DECIMAL.test(s)) throw invalidToken();
    const position = { xid: BigInt(x), seq: BigInt(s) };
    if (position.xid > MAX_INT64 || position.seq > MAX_INT64) throw invalidToken();
    return position;
  }
}
