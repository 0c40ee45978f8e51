import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { selectList } from '../../database/select-list';
import { TaskEntity } from '../task.entity';
import { TASK_FIELDS } from '../tasks.repository';
import type { TaskAccess } from '../access/task-access.policy';
import type { ChangePosition } from './change-token';

const CHANGE_FIELDS = [...TASK_FIELDS, 'deletedAt'] as const;

/**
 * A change for the reading user: the task's latest state with their access (deletedAt set for a
 * tombstone: the task deleted, or their access to it ended) and its feed position.
 */
export type ChangeRow = Pick<TaskEntity, (typeof CHANGE_FIELDS)[number]> & {
  /** NULL only on a tombstone (deletedAt set), whose other task fields are NULL too. */
  access: TaskAccess;
  changeXid: string;
  changeSeq: string;
};

/** One row per delivered change, LEFT JOINed to the horizon: an empty page is one row of nulls. */
export type ChangesQueryRow = Partial<ChangeRow> & { horizon: string; pending: boolean };

/** The feed's sources: each a table with a (user, change_xid, change_seq) index. */
const SOURCES = [
  { table: 'tasks', user: 'owner_id' },
  { table: 'task_shares', user: 'grantee_id' },
  { table: 'task_access_ends', user: 'grantee_id' },
] as const;

const TASK_CHANGE_COLUMNS = selectList(TaskEntity, CHANGE_FIELDS, 't');
const TOMBSTONE_COLUMNS = CHANGE_FIELDS.map((field) =>
  field === 'id' ? `e.task_id AS "id"` : field === 'deletedAt' ? `e.ended_at AS "deletedAt"` : `NULL AS "${field}"`,
).join(', ');
const DELIVERED_NAMES = [...CHANGE_FIELDS, 'access', 'changeXid', 'changeSeq'].map((name) => `"${name}"`).join(', ');

/**
 * The change feed of a user, in one statement (so the horizon and the rows come from one snapshot).
 *
 * Why not `updated_at > since` or a plain sequence: both are assigned before commit, and
 * transactions commit in any order. A writer that stamped seq 41 may commit after one that
 * stamped seq 42 and was already delivered; a client holding "42" would never see 41.
 *
 * Every write stamps its row with its transaction id (change_xid) and a sequence number
 * (change_seq); see the migrations' column defaults and triggers. Three tables carry such stamps
 * for a user: their own tasks, their grants (stamped again in the same transaction as every change
 * of the shared task, by the tasks_sync_shares trigger, and by a change of role), and the
 * tombstones of their ended accesses. The feed only returns rows whose change_xid is below the
 * snapshot's xmin, the oldest transaction still running: every transaction below it has ended,
 * so no row can ever appear or change below that horizon again. Rows are returned in
 * (change_xid, change_seq) order, merged from the three sources, and the token records the last
 * one delivered (or the horizon, once everything below it has been delivered); rows above the
 * horizon are delivered on a later poll, once the transactions before them have finished. A long
 * transaction anywhere in the cluster delays the feed (by its duration, bounded by
 * statement_timeout for ours) but never makes it skip. A grant and its tombstone never coexist
 * (each removes the other), so a task appears at most once per page.
 *
 * `pending` says whether committed changes of this user wait above the horizon; see
 * ChangesService. The horizon is read through scalar subqueries so PostgreSQL can use it as an
 * index condition on each (user, change_xid, change_seq) index; `pending` folds both of its lower
 * bounds into one row comparison (a B-tree starts its scan at one bound only) and looks for the
 * first such row of each source in index order (an EXISTS tempts the planner into a sequential
 * scan of the user's whole history).
 */
export const CHANGES_SQL = `
  WITH horizon AS MATERIALIZED (
    SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin
  ), above AS MATERIALIZED (
    -- max(since, (horizon, 0)): rows after it are exactly the changes not deliverable yet.
    SELECT CASE WHEN xmin > $2::bigint THEN xmin ELSE $2::bigint END AS xid,
           CASE WHEN xmin > $2::bigint THEN 0 ELSE $3::bigint END AS seq
    FROM horizon
  ), pending AS (
    SELECT count(*) > 0 AS pending FROM (
      ${SOURCES.map(
        ({ table, user }) => `(SELECT 1 FROM ${table}
        WHERE ${user} = $1 AND (change_xid, change_seq) > ((SELECT xid FROM above), (SELECT seq FROM above))
        ORDER BY change_xid, change_seq
        LIMIT 1)`,
      ).join(' UNION ALL ')}
    ) first_pending
  ), delivered AS (
    SELECT ${DELIVERED_NAMES} FROM (
      (SELECT ${TASK_CHANGE_COLUMNS}, 'owner' AS access, t.change_xid AS "changeXid", t.change_seq AS "changeSeq"
       FROM tasks t
       WHERE t.owner_id = $1 AND (t.change_xid, t.change_seq) > ($2::bigint, $3::bigint) AND t.change_xid < (SELECT xmin FROM horizon)
       ORDER BY t.change_xid, t.change_seq
       LIMIT $4)
      UNION ALL
      (SELECT ${TASK_CHANGE_COLUMNS}, share.role::text AS access, share.change_xid AS "changeXid", share.change_seq AS "changeSeq"
       FROM task_shares share JOIN tasks t ON t.id = share.task_id
       WHERE share.grantee_id = $1 AND (share.change_xid, share.change_seq) > ($2::bigint, $3::bigint) AND share.change_xid < (SELECT xmin FROM horizon)
       ORDER BY share.change_xid, share.change_seq
       LIMIT $4)
      UNION ALL
      (SELECT ${TOMBSTONE_COLUMNS}, NULL AS access, e.change_xid AS "changeXid", e.change_seq AS "changeSeq"
       FROM task_access_ends e
       WHERE e.grantee_id = $1 AND (e.change_xid, e.change_seq) > ($2::bigint, $3::bigint) AND e.change_xid < (SELECT xmin FROM horizon)
       ORDER BY e.change_xid, e.change_seq
       LIMIT $4)
    ) AS changes
    ORDER BY "changeXid", "changeSeq"
    LIMIT $4
  )
  SELECT horizon.xmin AS horizon, pending.pending, delivered.*
  FROM horizon CROSS JOIN pending LEFT JOIN delivered ON true
  ORDER BY delivered."changeXid", delivered."changeSeq"`;

/** The change feed's read of the tasks, grants and ended accesses (see CHANGES_SQL). */
@Injectable()
export class ChangesRepository {
  constructor(@InjectRepository(TaskEntity) private readonly tasks: Repository<TaskEntity>) {}

  /** The user's changes after `since`, at most `limit`, oldest first; always at least the horizon row. */
  page(ownerId: string, since: ChangePosition, limit: number): Promise<ChangesQueryRow[]> {
    return this.tasks.manager.query(CHANGES_SQL, [ownerId, since.xid.toString(), since.seq.toString(), limit]);
  }
}
