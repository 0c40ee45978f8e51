import { TASK_ACCESSES, type TaskAccess } from './access/task-access.policy';

/**
 * The strong ETag of a task as one caller sees it: id and version identify the task's state,
 * because every change increments the version, and a grantee's access is part of their
 * representation (`access`), so a change of role is a new ETag for them. The owner's has no
 * suffix. Clients treat it as opaque.
 */
export function taskEtag(id: string, version: number, access: TaskAccess = 'owner'): string {
  return access === 'owner' ? `"${id}.${version}"` : `"${id}.${version}.${access}"`;
}

/**
 * What an If-Match header demands of a write: the task at `version`, seen by the caller with
 * `access` (the representation its ETag named). A write goes ahead only if both still hold.
 */
export interface TaskPrecondition {
  version: number;
  access: TaskAccess;
}

/** The suffix a grantee's ETag carries after the version. */
const ACCESS_SUFFIX = new RegExp(`\\.(${TASK_ACCESSES.filter((access) => access !== 'owner').join('|')})$`);

/** Never a version of any task: versions start at 1. */
export const UNMATCHABLE_VERSION = 0;

/**
 * The precondition an If-Match header sets for task `id`: undefined when there is none (absent
 * header, or `*`, which any existing task satisfies), the version and access of the first strong
 * ETag of this task in the list, or UNMATCHABLE_VERSION when nothing in it can match (weak tags,
 * another task's tag, garbage), which makes the conditional write fail with 412 as RFC 9110 asks.
 * The access is part of the comparison: an ETag is the validator of one representation, and a
 * grantee whose role changed since they read the task holds the ETag of a representation that no
 * longer exists (412, as for a newer version).
 */
export function preconditionFromIfMatch(header: string | undefined, id: string): TaskPrecondition | undefined {
  if (header === undefined) return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) return undefined;
  const prefix = `"${id}.`;
  for (const tag of tags) {
    if (!tag.startsWith(prefix) || !tag.endsWith('"')) continue;
    const body = tag.slice(prefix.length, -1);
    const suffix = ACCESS_SUFFIX.exec(body);
    const version = suffix === null ? body : body.slice(0, suffix.index);
    const access: TaskAccess = suffix === null ? 'owner' : (suffix[1] as TaskAccess);
    if (/^[1-9]\d{0,9}$/.test(version) && Number(version) <= 2_147_483_647) return { version: Number(version), access };
  }
  return { version: UNMATCHABLE_VERSION, access: 'owner' };
}
