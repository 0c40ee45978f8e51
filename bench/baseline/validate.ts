import {
  DESCRIPTION_MAX_LENGTH,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  SEARCH_MAX_LENGTH,
  TAG_MAX_LENGTH,
  TAGS_MAX_COUNT,
  TASK_PRIORITIES,
  TASK_SCOPES,
  TASK_SORTS,
  TASK_STATUSES,
  TITLE_MAX_LENGTH,
  type TaskFilters,
  type TaskPriority,
  type TaskSort,
  type TaskStatus,
} from '../../src/tasks/task.types';
import { isUuid } from '../../src/common/uuid';
import { SHARE_ROLES, type ShareRole } from '../../src/tasks/access/task-access.policy';

/**
 * Hand-written checks with the same outcomes as Taskwright's DTOs (class-validator with whitelist,
 * forbidNonWhitelisted and the DTOs' transforms) for the requests the benchmark sends: what a
 * framework-free service would write instead of decorators.
 */
export interface FieldError {
  field: string;
  message: string;
}

export class Invalid extends Error {
  constructor(readonly errors: FieldError[]) {
    super('invalid');
  }
}

const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

function isZoned(value: unknown): value is string {
  return typeof value === 'string' && ZONED.test(value) && !Number.isNaN(Date.parse(value));
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

/** The value when it is one of `allowed`; otherwise an error for `field` (and undefined). */
function member<T extends string>(field: string, allowed: readonly T[], value: unknown, errors: FieldError[]): T | undefined {
  if (oneOf(allowed, value)) return value;
  errors.push({ field, message: `${field} must be one of the following values: ${allowed.join(', ')}` });
  return undefined;
}

export interface ListQuery extends Omit<TaskFilters, 'ownerId'> {
  sort: TaskSort;
  limit: number;
  cursor?: string;
  ownerId?: string;
}

const LIST_FIELDS = new Set(['scope', 'status', 'priority', 'tag', 'dueBefore', 'dueAfter', 'q', 'sort', 'limit', 'cursor', 'ownerId']);

export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const errors: FieldError[] = [];
  for (const name of Object.keys(query)) {
    if (!LIST_FIELDS.has(name)) errors.push({ field: name, message: `unknown field ${name}` });
  }
  const out: ListQuery = { sort: '-createdAt', limit: LIST_DEFAULT_LIMIT };
  const { scope, status, priority, tag, dueBefore, dueAfter, q, sort, limit, cursor, ownerId } = query;
  if (scope !== undefined) out.scope = member('scope', TASK_SCOPES, scope, errors);
  if (status !== undefined) out.status = member('status', TASK_STATUSES, status, errors);
  if (priority !== undefined) out.priority = member('priority', TASK_PRIORITIES, priority, errors);
  if (tag !== undefined) {
    if (typeof tag === 'string' && tag.length >= 1 && tag.length <= TAG_MAX_LENGTH) out.tag = tag;
    else errors.push({ field: 'tag', message: `tag must be 1 to ${TAG_MAX_LENGTH} characters` });
  }
  for (const [name, value] of [
    ['dueBefore', dueBefore],
    ['dueAfter', dueAfter],
  ] as const) {
    if (value === undefined) continue;
    if (isZoned(value)) out[name] = value;
    else errors.push({ field: name, message: `${name} must be an ISO-8601 date-time with a time zone, e.g. 2026-12-01T17:00:00Z` });
  }
  if (q !== undefined) {
    if (typeof q !== 'string') errors.push({ field: 'q', message: 'q must be a string' });
    else if (q.trim().length > SEARCH_MAX_LENGTH) errors.push({ field: 'q', message: `q must be shorter than or equal to ${SEARCH_MAX_LENGTH} characters` });
    else if (q.trim() !== '') out.q = q.trim();
  }
  if (sort !== undefined) {
    if (oneOf(TASK_SORTS, sort)) out.sort = sort;
    else errors.push({ field: 'sort', message: `sort must be one of the following values: ${TASK_SORTS.join(', ')}` });
  }
  if (limit !== undefined) {
    const n = typeof limit === 'string' && /^-?\d{1,9}$/.test(limit) ? Number(limit) : Number.NaN;
    if (Number.isInteger(n) && n >= 1 && n <= LIST_MAX_LIMIT) out.limit = n;
    else errors.push({ field: 'limit', message: `limit must be an integer from 1 to ${LIST_MAX_LIMIT}` });
  }
  if (cursor !== undefined) {
    if (typeof cursor === 'string' && cursor.length >= 1 && cursor.length <= 1024) out.cursor = cursor;
    else errors.push({ field: 'cursor', message: 'cursor must be 1 to 1024 characters' });
  }
  if (ownerId !== undefined) {
    if (isUuid(ownerId)) out.ownerId = ownerId;
    else errors.push({ field: 'ownerId', message: 'ownerId must be a UUID' });
  }
  if (errors.length > 0) throw new Invalid(errors);
  return out;
}

export interface TaskInput {
  title?: string;
  description?: string | null;
  status?: TaskStatus;
  priority?: TaskPriority;
  dueAt?: string | null;
  tags?: string[];
}

const TASK_FIELDS = new Set(['title', 'description', 'status', 'priority', 'dueAt', 'tags']);

function normaliseTags(value: unknown, errors: FieldError[]): string[] | undefined {
  if (!Array.isArray(value)) {
    errors.push({ field: 'tags', message: 'tags must be an array' });
    return undefined;
  }
  const trimmed = value.map((tag: unknown) => (typeof tag === 'string' ? tag.trim() : tag));
  const unique = trimmed.filter((tag, index) => typeof tag !== 'string' || trimmed.indexOf(tag) === index);
  if (unique.length > TAGS_MAX_COUNT) errors.push({ field: 'tags', message: `tags must contain no more than ${TAGS_MAX_COUNT} elements` });
  if (!unique.every((tag): tag is string => typeof tag === 'string' && tag.length >= 1 && tag.length <= TAG_MAX_LENGTH)) {
    errors.push({ field: 'tags', message: `each value in tags must be 1 to ${TAG_MAX_LENGTH} characters` });
    return undefined;
  }
  return unique as string[];
}

/** A create (`partial` false: title required) or PATCH (`partial` true) body. */
export function parseTaskBody(body: unknown, partial: boolean): TaskInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Invalid([{ field: 'body', message: 'the body must be a JSON object' }]);
  const input = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const name of Object.keys(input)) {
    if (!TASK_FIELDS.has(name)) errors.push({ field: name, message: `unknown field ${name}` });
  }
  const out: TaskInput = {};
  const { title, description, status, priority, dueAt, tags } = input;
  if (title !== undefined || !partial) {
    const trimmed = typeof title === 'string' ? title.trim() : title;
    if (typeof trimmed === 'string' && trimmed.length >= 1 && trimmed.length <= TITLE_MAX_LENGTH) out.title = trimmed;
    else errors.push({ field: 'title', message: `title must be 1 to ${TITLE_MAX_LENGTH} characters` });
  }
  if (description !== undefined) {
    if (description === null || (typeof description === 'string' && description.length <= DESCRIPTION_MAX_LENGTH)) out.description = description;
    else errors.push({ field: 'description', message: `description must be a string of at most ${DESCRIPTION_MAX_LENGTH} characters` });
  }
  if (status !== undefined) out.status = member('status', TASK_STATUSES, status, errors);
  if (priority !== undefined) out.priority = member('priority', TASK_PRIORITIES, priority, errors);
  if (dueAt !== undefined) {
    if (dueAt === null || isZoned(dueAt)) out.dueAt = dueAt;
    else errors.push({ field: 'dueAt', message: 'dueAt must be an ISO-8601 date-time with a time zone, e.g. 2026-12-01T17:00:00Z' });
  }
  if (tags !== undefined) {
    const normalised = normaliseTags(tags, errors);
    if (normalised) out.tags = normalised;
  }
  if (errors.length > 0) throw new Invalid(errors);
  return out;
}

export interface ShareInput {
  email: string;
  role: ShareRole;
}

const SHARE_FIELDS = new Set(['email', 'role']);

/**
 * Close enough to class-validator's IsEmail for what the benchmark sends (a local part, an @, a
 * dotted domain); Taskwright's DTO decides the edge cases, which no scenario reaches.
 */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** PUT /v1/tasks/{id}/shares: the email (trimmed, at most 254 characters) and the role. */
export function parseShareBody(body: unknown): ShareInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Invalid([{ field: 'body', message: 'the body must be a JSON object' }]);
  const input = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const name of Object.keys(input)) {
    if (!SHARE_FIELDS.has(name)) errors.push({ field: name, message: `unknown field ${name}` });
  }
  const email = typeof input.email === 'string' ? input.email.trim() : input.email;
  if (typeof email !== 'string' || !EMAIL.test(email)) errors.push({ field: 'email', message: 'email must be an email' });
  else if (email.length > 254) errors.push({ field: 'email', message: 'email must be shorter than or equal to 254 characters' });
  const role = member('role', SHARE_ROLES, input.role, errors);
  if (errors.length > 0 || typeof email !== 'string' || role === undefined) throw new Invalid(errors);
  return { email, role };
}
