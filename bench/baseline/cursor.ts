import { createHash } from 'node:crypto';
import { SignedTokenCodec } from '../../src/common/cursor/signed-token';
import type { CursorPosition } from '../../src/tasks/task-cursor';
import { TASK_PRIORITIES, type TaskFilters, type TaskPriority, type TaskSort } from '../../src/tasks/task.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value));
}

function fingerprint(filters: TaskFilters): string {
  const canonical = JSON.stringify([
    filters.ownerId,
    filters.status ?? null,
    filters.priority ?? null,
    filters.tag ?? null,
    filters.dueBefore ?? null,
    filters.dueAfter ?? null,
    filters.q ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/**
 * The same opaque cursor as Taskwright's TaskCursorCodec (HMAC-signed JSON with the sort, a filter
 * fingerprint, the sort key and the id), written without its framework-bound error types, so a
 * cursor from either server works on both.
 */
export class CursorCodec {
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
    return this.codec.encode({ v: 1, s: position.sort, f: fingerprint(filters), k: key, i: position.id });
  }

  /** The position, or undefined for any cursor Taskwright would answer with 400. */
  decode(token: string, sort: TaskSort, filters: TaskFilters): CursorPosition | undefined {
    const decoded = this.codec.decode(token);
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) return undefined;
    const payload = decoded as Record<string, unknown>;
    if (payload.v !== 1 || payload.s !== sort || payload.f !== fingerprint(filters)) return undefined;
    const { i: id, k: key } = payload;
    if (typeof id !== 'string' || !UUID.test(id) || !Array.isArray(key)) return undefined;
    switch (sort) {
      case 'dueAt':
      case '-dueAt': {
        const [dueAt] = key as unknown[];
        return key.length === 1 && (dueAt === null || isTimestamp(dueAt)) ? { sort, dueAt, id } : undefined;
      }
      case 'priority':
      case '-priority': {
        const [priority, createdAt] = key as unknown[];
        if (key.length !== 2 || !(TASK_PRIORITIES as readonly unknown[]).includes(priority) || !isTimestamp(createdAt)) return undefined;
        return { sort, priority: priority as TaskPriority, createdAt, id };
      }
      default: {
        const [at] = key as unknown[];
        return key.length === 1 && isTimestamp(at) ? { sort, at, id } : undefined;
      }
    }
  }
}
