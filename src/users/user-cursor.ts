import { createHash } from 'node:crypto';
import { invalidCursor } from '../common/cursor/invalid-cursor';
import { SignedTokenCodec } from '../common/cursor/signed-token';
import { isUuid } from '../common/uuid';

/** What decides which accounts the admin list holds: the canonical email prefix and the role. */
export interface UserListFilters {
  emailCanonicalPrefix?: string;
  role?: string;
}

function fingerprint(filters: UserListFilters): string {
  // Stryker disable next-line MethodExpression: the whole hash tells filters apart as well; the slice only keeps cursors short
  return createHash('sha256')
    .update(JSON.stringify([filters.emailCanonicalPrefix ?? null, filters.role ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

const MALFORMED = 'The cursor is malformed or has been altered; start again without a cursor';

/**
 * The admin list's cursor, signed like the tasks' one (SignedTokenCodec, its own key): the last id
 * of a page (ids are UUIDv7, so id order is creation order) and a fingerprint of the filters it
 * continues. Anything else is 400 `invalid-cursor`, as for tasks.
 */
export class UserCursorCodec {
  private readonly codec: SignedTokenCodec;

  constructor(secret: string) {
    this.codec = new SignedTokenCodec(secret, 'users-cursor');
  }

  encode(lastId: string, filters: UserListFilters): string {
    return this.codec.encode({ v: 1, f: fingerprint(filters), b: lastId });
  }

  /** The id to continue before; a 400 problem for any cursor not issued for these filters. */
  decode(token: string, filters: UserListFilters): string {
    const decoded = this.codec.decode(token);
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw invalidCursor(MALFORMED);
    const { v, f, b, ...extra } = decoded as Record<string, unknown>;
    if (v !== 1 || !isUuid(b) || Object.keys(extra).length > 0) throw invalidCursor(MALFORMED);
    if (f !== fingerprint(filters)) throw invalidCursor('The cursor was issued for other filters; send the same filters as the first page, or start again');
    return b;
  }
}
