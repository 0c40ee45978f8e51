import { isUuid } from '../common/uuid';

/**
 * The admin list's cursor: the last id of a page, wrapped so clients treat it as opaque (and we
 * may change what it holds). Ids are UUIDv7, so id order is creation order.
 */
export function encodeUserCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ before: lastId })).toString('base64url');
}

/** The id to continue before, or undefined when the cursor is not one we issued. */
export function decodeUserCursor(cursor: string): string | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Stryker disable next-line ConditionalExpression,LogicalOperator: the same refusal without it: a number or string has no `before`, and null throws into the catch
    if (typeof decoded !== 'object' || decoded === null) return undefined;
    const before = (decoded as { before?: unknown }).before;
    return isUuid(before) ? before : undefined;
    // Stryker disable next-line BlockStatement: an empty catch returns undefined all the same
  } catch {
    return undefined;
  }
}
