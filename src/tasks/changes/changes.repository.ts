import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { selectList } from '../../database/select-list';
import { TaskEntity } from '../task.entity';
import { TASK_FIELDS } from '../tasks.repository';
import type { ChangePosition } from './change-token';

const CHANGE_FIELDS = [...TASK_FIELDS, 'deletedAt', 'changeXid', 'changeSeq'] as const;

/** A changed task: its latest state, with deletedAt set for a tombstone, and its feed position. */
export type ChangeRow = Pick<TaskEntity, (typeof CHANGE_FIELDS)[number]>;

/** One row per delivered change, LEFT JOINed to the horizon: an empty page is one row of nulls. */
export type ChangesQueryRow = Partial<ChangeRow> & { horizon: string; pending: boolean };

/**
 * The change feed, in one statement (so the horizon and the rows come from one snapshot).
 *
 * Why not `updated_at > since` or a plain sequence: both are assigned before commit, and
 * transactions commit in any order. A writer that stamped seq 41 may commit after one that
 * stamped seq 42 and was already delivered; a client holding "42" would never see 41.
 *
 * Every write stamps its row with its transaction id (change_xid) and a sequence number
 * (change_seq); see the migration's column defaults and trigger. The feed only returns rows whose
 * change_xid is below the snapshot's xmin, the oldest transaction still running: every transaction
 * below it has ended, so no row can ever appear or change below that horizon again. Rows are
 * returned in (change_xid, change_seq) order and the token records the last one delivered (or the
 * horizon, once everything below it has been delivered); rows above the horizon are delivered on
 * a later poll, once the transactions before them have finished. A long transaction anywhere in
 * the cluster delays the feed (by its duration, bounded by statement_timeout for ours) but never
 * makes it skip.
 *
 * `pending` says whether committed changes of this owner wait above the horizon; see
 * ChangesService. The horizon is read through scalar subqueries so PostgreSQL can use it as an
 * index condition on (owner_id, change_xid, change_seq); `pending` folds both of its lower bounds
 * into one row comparison (a B-tree starts its scan at one bound only) and looks for the first
 * such row in index order (an EXISTS tempts the planner into a sequential scan of the owner's
 * whole history).
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
      SELECT 1 FROM tasks
      WHERE owner_id = $1 AND (change_xid, change_seq) > ((SELECT xid FROM above), (SELECT seq FROM above))
      ORDER BY change_xid, change_seq
      LIMIT 1
    ) first_pending
  ), delivered AS (
    SELECT ${selectList(TaskEntity, CHANGE_FIELDS)}
    FROM tasks
    WHERE owner_id = $1 AND (change_xid, change_seq) > ($2::bigint, $3::bigint) AND change_xid < (SELECT xmin FROM horizon)
    ORDER BY change_xid, change_seq
    LIMIT $4
  )
  SELECT horizon.xmin AS horizon, pending.pending, delivered.*
  FROM horizon CROSS JOIN pending LEFT JOIN delivered ON true
  ORDER BY delivered."changeXid", delivered."changeSeq"`;

/** The change feed's read of the tasks table (see CHANGES_SQL). */
@Injectable()
export class ChangesRepository {
  constructor(@InjectRepository(TaskEntity) private readonly tasks: Repository<TaskEntity>) {}

  /** The owner's changes after `since`, at most `limit`, oldest first; always at least the horizon row. */
  page(ownerId: string, since: ChangePosition, limit: number): Promise<ChangesQueryRow[]> {
    return this.tasks.manager.query(CHANGES_SQL, [ownerId, since.xid.toString(), since.seq.toString(), limit]);
  }
}
