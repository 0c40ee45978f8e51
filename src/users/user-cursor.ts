/**
 * The admin list's cursor: the last id of a page, wrapped so clients treat it as opaque (and we
 * may change what it holds). Ids are UUIDv7, so id order is creation order.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeUserCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ before: lastId })).toString('base64url');
}

/** The id to continue before, or undefined when the cursor is not one we issued. */
export function decodeUserCursor(cursor: string): string | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  // Any JSON but null can be read for a property: a non-object simply has no `before`.
  const before = ((decoded ?? {}) as { before?: unknown }).before;
  return typeof before === 'string' && UUID.test(before) ? before : undefined;
}
