import { createHash } from 'node:crypto';
import { invalidCursor } from '../common/cursor/invalid-cursor';
import { isUuid } from '../common/uuid';
import { SignedTokenCodec } from '../common/cursor/signed-token';
import { TASK_PRIORITIES, TASK_SORTS, type TaskFilters, type TaskPriority, type TaskSort } from './task.types';

/**
 * Where a page ended: the sort it was read in, that row's sort value(s) and its id. The id breaks
 * ties, so (sort values, id) is a total order and the next page starts strictly after this row.
 */
export type CursorPosition =
  | { sort: 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt'; at: string; id: string }
  | { sort: 'dueAt' | '-dueAt'; dueAt: string | null; id: string }
  | { sort: 'priority' | '-priority'; priority: TaskPriority; createdAt: string; id: string };

/** The wire form: short keys, a version, and a fingerprint of the filters the cursor belongs to. */
interface CursorPayload {
  v: 1;
  s: TaskSort;
  f: string;
  k: Array<string | null>;
  i: string;
}

// Stryker disable next-line Regex: Date.parse, checked with it, refuses any text after the Z (the anchor only spares it the work)
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * A fingerprint of everything that decides which rows a listing contains (owner and filters). A
 * cursor only continues the listing it came from: reusing it with other filters would start the
 * walk at a position that means nothing in that listing, so it is refused instead.
 */
export function filterFingerprint(filters: TaskFilters): string {
  const canonical = JSON.stringify([
    filters.ownerId,
    filters.status ?? null,
    filters.priority ?? null,
    filters.tag ?? null,
    filters.dueBefore ?? null,
    filters.dueAfter ?? null,
    filters.q ?? null,
    // Only when set, so a cursor issued before lists had a scope still continues the (now mixed) list.
    ...(filters.scope === undefined ? [] : [filters.scope]),
  ]);
  // Stryker disable next-line MethodExpression: the whole hash tells filters apart as well; the slice only keeps cursors short
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** Encodes and checks the opaque `cursor` of GET /v1/tasks (HMAC-signed, see SignedTokenCodec). */
export class TaskCursorCodec {
  private readonly codec: SignedTokenCodec;

  constructor(secret: string) {
    this.codec = new SignedTokenCodec(secret, 'tasks-cursor');
  }

  encode(position: CursorPosition, filters: TaskFilters): string {
    let key: Array<string | null>;
    switch (position.sort) {
      case 'dueAt':
      case '-dueAt':
        key = [position.dueAt];
        break;
      case 'priority':
      case '-priority':
        key = [position.priority, position.createdAt];
        break;
      default:
        key = [position.at];
    }
    const payload: CursorPayload = { v: 1, s: position.sort, f: filterFingerprint(filters), k: key, i: position.id };
    return this.codec.encode(payload);
  }

  /**
   * The position a cursor points at, provided it is intact and was issued for this sort and these
   * filters; otherwise a 400 problem. Every field is checked, so nothing unvalidated reaches SQL.
   */
  decode(token: string, sort: TaskSort, filters: TaskFilters): CursorPosition {
    const decoded = this.codec.decode(token);
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
      throw invalidCursor('The cursor is malformed or has been altered; start again without a cursor');
    }
    const payload = decoded as Partial<Record<keyof CursorPayload, unknown>>;
    if (payload.v !== 1 || typeof payload.s !== 'string' || !(TASK_SORTS as readonly string[]).includes(payload.s)) {
      throw invalidCursor('The cursor is malformed or has been altered; start again without a cursor');
    }
    if (payload.s !== sort) {
      throw invalidCursor(`The cursor was issued for sort=${payload.s}; send the same sort as the first page, or start again`);
    }
    if (payload.f !== filterFingerprint(filters)) {
      throw invalidCursor('The cursor was issued for other filters; send the same filters as the first page, or start again');
    }
    const id = payload.i;
    const key = payload.k;
    if (!isUuid(id) || !Array.isArray(key)) {
      throw invalidCursor('The cursor is malformed or has been altered; start again without a cursor');
    }
    const position = this.position(sort, key, id);
    if (!position) throw invalidCursor('The cursor is malformed or has been altered; start again without a cursor');
    return position;
  }

  private position(sort: TaskSort, key: unknown[], id: string): CursorPosition | undefined {
    switch (sort) {
      case 'dueAt':
      case '-dueAt': {
        const [dueAt] = key;
        if (key.length !== 1 || !(dueAt === null || isTimestamp(dueAt))) return undefined;
        return { sort, dueAt, id };
      }
      case 'priority':
      case '-priority': {
        const [priority, createdAt] = key;
        if (key.length !== 2 || !(TASK_PRIORITIES as readonly unknown[]).includes(priority) || !isTimestamp(createdAt)) return undefined;
        return { sort, priority: priority as TaskPriority, createdAt, id };
      }
      default: {
        const [at] = key;
        if (key.length !== 1 || !isTimestamp(at)) return undefined;
        return { sort, at, id };
      }
    }
  }
}
