export const TASK_STATUSES = ['todo', 'in_progress', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** In ascending order of urgency: the PostgreSQL enum sorts in this order, which `sort=priority` relies on. */
export const TASK_PRIORITIES = ['low', 'medium', 'high'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

export const TASK_SORTS = ['createdAt', '-createdAt', 'dueAt', '-dueAt', 'priority', '-priority', 'updatedAt', '-updatedAt'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];
export const DEFAULT_TASK_SORT: TaskSort = '-createdAt';

/** The table's limits: the entity, the DTOs and the OpenAPI document all read them from here. */
export const TITLE_MAX_LENGTH = 200;
export const DESCRIPTION_MAX_LENGTH = 10_000;
export const TAGS_MAX_COUNT = 20;
export const TAG_MAX_LENGTH = 50;
export const SEARCH_MAX_LENGTH = 200;

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;
export const CHANGES_DEFAULT_LIMIT = 500;
export const CHANGES_MAX_LIMIT = 1000;

/** Full-text configuration of the generated `search` column; queries must use the same one. */
export const SEARCH_CONFIG = 'english';

/** Which of the tasks a user can see a list is narrowed to: their own, or those shared with them. */
export const TASK_SCOPES = ['own', 'shared'] as const;
export type TaskScope = (typeof TASK_SCOPES)[number];

/**
 * Which rows a list or cursor is about: the user whose visible tasks are listed (their own and,
 * unless `scope` narrows it, those shared with them) and the filters applied.
 */
export interface TaskFilters {
  ownerId: string;
  /** Absent: everything the user can see. */
  scope?: TaskScope;
  status?: TaskStatus;
  priority?: TaskPriority;
  tag?: string;
  /** ISO-8601 UTC, exclusive upper bound on dueAt. */
  dueBefore?: string;
  /** ISO-8601 UTC, inclusive lower bound on dueAt. */
  dueAfter?: string;
  q?: string;
}

/** The fields a PATCH may set; it must send at least one. */
export const UPDATABLE_FIELDS = ['title', 'description', 'status', 'priority', 'dueAt', 'tags'] as const;

/** The filters of a list request for one owner (the other fields of the query are left out). */
export function taskFilters(ownerId: string, query: Omit<TaskFilters, 'ownerId'>): TaskFilters {
  return {
    ownerId,
    scope: query.scope,
    status: query.status,
    priority: query.priority,
    tag: query.tag,
    dueBefore: query.dueBefore,
    dueAfter: query.dueAfter,
    q: query.q,
  };
}
