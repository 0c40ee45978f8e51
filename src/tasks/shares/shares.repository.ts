import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { queryRows } from '../../database/query-rows';
import type { ShareRole } from '../access/task-access.policy';
import { TaskShareEntity } from './task-share.entity';

/** A grant as the owner's list shows it, with the grantee's public fields. */
export interface ShareRow {
  userId: string;
  name: string;
  email: string;
  role: ShareRole;
  createdAt: Date;
}

/** The task a grant is made on, locked for the grant's transaction. */
export interface LockedTask {
  ownerId: string;
  createdAt: Date;
  updatedAt: Date;
  priority: string;
  dueAt: Date | null;
}

const SHARE_COLUMNS = `u.id AS "userId", u.name, u.email, share.role, share.created_at AS "createdAt"`;

/** The task_shares table (and the ended accesses an account deletion leaves): every statement SharesService runs. */
@Injectable()
export class SharesRepository {
  constructor(@InjectRepository(TaskShareEntity) private readonly shares: Repository<TaskShareEntity>) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.shares.manager.transaction(work);
  }

  /**
   * The live task, locked until the transaction ends against its updates and other grants (FOR NO
   * KEY UPDATE conflicts with both), so the sort keys copied into a grant are current and the
   * per-task limit is counted without a race.
   */
  async lockTask(manager: EntityManager, taskId: string): Promise<LockedTask | undefined> {
    const rows: LockedTask[] = await manager.query(
      `SELECT owner_id AS "ownerId", created_at AS "createdAt", updated_at AS "updatedAt", priority, due_at AS "dueAt"
       FROM tasks WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE`,
      [taskId],
    );
    return rows[0];
  }

  async roleOf(manager: EntityManager, taskId: string, granteeId: string): Promise<ShareRole | undefined> {
    const rows: Array<{ role: ShareRole }> = await manager.query(`SELECT role FROM task_shares WHERE task_id = $1 AND grantee_id = $2`, [taskId, granteeId]);
    return rows[0]?.role;
  }

  async count(manager: EntityManager, taskId: string): Promise<number> {
    const rows: Array<{ count: number }> = await manager.query(`SELECT count(*)::integer AS count FROM task_shares WHERE task_id = $1`, [taskId]);
    return rows[0]?.count ?? 0;
  }

  /** A new grant, with the task's sort keys copied (the tasks_sync_shares trigger keeps them equal). */
  async insert(manager: EntityManager, taskId: string, task: LockedTask, granteeId: string, role: ShareRole): Promise<void> {
    await manager.query(
      `INSERT INTO task_shares (task_id, grantee_id, owner_id, role, task_created_at, task_updated_at, task_priority, task_due_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [taskId, granteeId, task.ownerId, role, task.createdAt, task.updatedAt, task.priority, task.dueAt],
    );
  }

  async updateRole(manager: EntityManager, taskId: string, granteeId: string, role: ShareRole): Promise<void> {
    await manager.query(`UPDATE task_shares SET role = $3 WHERE task_id = $1 AND grantee_id = $2`, [taskId, granteeId, role]);
  }

  /** Ends one grant (its tombstone is the trigger's); false when there was none. */
  async delete(taskId: string, granteeId: string): Promise<boolean> {
    const rows = await queryRows(this.shares.manager, `DELETE FROM task_shares WHERE task_id = $1 AND grantee_id = $2 RETURNING grantee_id`, [
      taskId,
      granteeId,
    ]);
    return rows.length > 0;
  }

  /** Everyone the task is shared with, oldest grant first. */
  list(taskId: string): Promise<ShareRow[]> {
    return this.shares.manager.query(
      `SELECT ${SHARE_COLUMNS} FROM task_shares share JOIN users u ON u.id = share.grantee_id
       WHERE share.task_id = $1 ORDER BY share.created_at, share.grantee_id`,
      [taskId],
    );
  }

  async find(taskId: string, granteeId: string, manager: EntityManager = this.shares.manager): Promise<ShareRow | undefined> {
    const rows: ShareRow[] = await manager.query(
      `SELECT ${SHARE_COLUMNS} FROM task_shares share JOIN users u ON u.id = share.grantee_id WHERE share.task_id = $1 AND share.grantee_id = $2`,
      [taskId, granteeId],
    );
    return rows[0];
  }

  /**
   * The grantees whose access to this owner's tasks ended (their tombstones), read after the
   * owner's account deletion committed: every grant the deletion ended is among them.
   */
  async endedGranteesOf(ownerId: string): Promise<string[]> {
    const rows: Array<{ granteeId: string }> = await this.shares.manager.query(
      `SELECT DISTINCT grantee_id AS "granteeId" FROM task_access_ends WHERE owner_id = $1`,
      [ownerId],
    );
    return rows.map((row) => row.granteeId);
  }
}
