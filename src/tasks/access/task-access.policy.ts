import { ProblemException } from '../../common/problem/problem.exception';

/**
 * Who may do what to a task: the one place that says it. The services ask `authorize()` to tell
 * 404 from 403, and the SQL of every read, write and list is built from the same table
 * (accessCondition, accessExpression), so a list is filtered by the database, never after the fact.
 *
 * Our own small policy rather than CASL: three roles and five actions fit in one table, and what
 * matters is turning it into SQL conditions, which CASL only does for Mongo-style queries and ORMs
 * other than ours (a CASL ability would still need this translation written by hand).
 */

/** The caller's relation to a task, as every task representation carries it (`access`). */
export const TASK_ACCESSES = ['owner', 'editor', 'viewer'] as const;
export type TaskAccess = (typeof TASK_ACCESSES)[number];

/** The roles an owner can grant (the PostgreSQL enum task_share_role, in this order). */
export const SHARE_ROLES = ['viewer', 'editor'] as const;
export type ShareRole = (typeof SHARE_ROLES)[number];

/**
 * - `read`: get it, list it, see its changes in the feed;
 * - `update`: change its fields (PATCH);
 * - `delete`: delete the task;
 * - `share`: grant, change or revoke access, and list who has it;
 * - `leave`: give up one's own access.
 */
export type TaskAction = 'read' | 'update' | 'delete' | 'share' | 'leave';

const PERMISSIONS: Readonly<Record<TaskAccess, ReadonlySet<TaskAction>>> = {
  owner: new Set(['read', 'update', 'delete', 'share']),
  editor: new Set(['read', 'update', 'leave']),
  viewer: new Set(['read', 'leave']),
};

/** Whether a caller with `access` (undefined: none at all) may do `action`. */
export function can(access: TaskAccess | undefined, action: TaskAction): boolean {
  return access !== undefined && PERMISSIONS[access].has(action);
}

/** The granted roles that allow `action`, in SHARE_ROLES order. */
export function shareRolesAllowing(action: TaskAction): ShareRole[] {
  return SHARE_ROLES.filter((role) => can(role, action));
}

function forbidden(detail: string): ProblemException {
  return new ProblemException(403, 'forbidden', detail);
}

const ACTION_REFUSALS: Readonly<Record<TaskAction, string>> = {
  // Stryker disable next-line StringLiteral: every access may read (the table above), so this refusal is never sent; it is ready for the day that changes
  read: 'You cannot read this task',
  update: 'Your access to this task is read-only (viewer); ask its owner for editor access',
  delete: 'Only the owner can delete this task',
  share: 'Only the owner can see or change who has access to this task',
  leave: 'The owner cannot leave their own task; delete it instead',
};

/**
 * Throws unless `access` allows `action`: `notFound()` when the caller has no access at all (a
 * task they cannot see does not exist for them), 403 `forbidden` when they can see it but may not
 * do this.
 */
export function authorize(access: TaskAccess | undefined, action: TaskAction, notFound: () => Error): void {
  if (access === undefined) throw notFound();
  if (!can(access, action)) throw forbidden(ACTION_REFUSALS[action]);
}

/** A role as an SQL literal; only ever one of SHARE_ROLES, never input. */
function roleLiteral(role: ShareRole): string {
  return `'${role}'::task_share_role`;
}

/**
 * The SQL condition "the user `userParam` may do `action` to the task row `alias`": the owner
 * when the policy lets owners do it, a grantee whose role does. `userParam` is a placeholder
 * (`$2::uuid`), never a value.
 */
export function accessCondition(action: TaskAction, alias: string, userParam: string): string {
  const conditions: string[] = [];
  if (can('owner', action)) conditions.push(`${alias}.owner_id = ${userParam}`);
  const roles = shareRolesAllowing(action);
  if (roles.length > 0) {
    conditions.push(
      `EXISTS (SELECT 1 FROM task_shares share WHERE share.task_id = ${alias}.id AND share.grantee_id = ${userParam} AND share.role IN (${roles.map(roleLiteral).join(', ')}))`,
    );
  }
  // Stryker disable next-line ConditionalExpression,StringLiteral: every action is allowed to someone today; one allowed to nobody must deny (false), not break the SQL
  return conditions.length === 0 ? 'false' : `(${conditions.join(' OR ')})`;
}

/**
 * The SQL expression of the user's access to the task row `alias` (`owner`, `editor`, `viewer`,
 * or NULL when none), for the `access` field of a read.
 */
export function accessExpression(alias: string, userParam: string): string {
  return `CASE WHEN ${alias}.owner_id = ${userParam} THEN 'owner' ELSE (SELECT share.role::text FROM task_shares share WHERE share.task_id = ${alias}.id AND share.grantee_id = ${userParam}) END`;
}
