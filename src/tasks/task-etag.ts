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

/** The suffix a grantee's ETag carries after the version. */
const ACCESS_SUFFIX = new RegExp(`\\.(${TASK_ACCESSES.filter((access) => access !== 'owner').join('|')})$`);

/** Never a version of any task: versions start at 1. */
export const UNMATCHABLE_VERSION = 0;

/**
 * The version an If-Match header demands for task `id`: undefined when there is no precondition
 * (absent header, or `*`, which any existing task satisfies), the version of the first strong
 * ETag of this task in the list, or UNMATCHABLE_VERSION when nothing in it can match (weak tags,
 * another task's tag, garbage), which makes the conditional update fail with 412 as RFC 9110 asks.
 * The access suffix of a grantee's ETag is accepted whatever it says: If-Match guards the task's
 * state against lost updates, and a change of role changes no field of the task.
 */
export function expectedVersionFromIfMatch(header: string | undefined, id: string): number | undefined {
  if (header === undefined) return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) return undefined;
  const prefix = `"${id}.`;
  for (const tag of tags) {
    if (!tag.startsWith(prefix) || !tag.endsWith('"')) continue;
    const version = tag.slice(prefix.length, -1).replace(ACCESS_SUFFIX, '');
    if (/^[1-9]\d{0,9}$/.test(version) && Number(version) <= 2_147_483_647) return Number(version);
  }
  return UNMATCHABLE_VERSION;
}
