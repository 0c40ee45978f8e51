/**
 * The one check of a UUID that arrives from outside (paths, queries, tokens, cursors): the
 * 8-4-4-4-12 hex form of any version, either case, which is what PostgreSQL's uuid type reads.
 */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}
