import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sharing (issue 14): an owner grants another account `viewer` or `editor` access to a task.
 * Hand-written and reviewed; consistent with TaskShareEntity and TaskAccessEndEntity
 * (test/tasks-schema.e2e-spec.ts diffs them).
 *
 * - task_shares: one row per grant. It carries copies of the task's sort keys (kept equal to the
 *   task's by the tasks_sync_shares trigger, in the writing transaction), so a grantee's shared
 *   tasks are an index range in every list order, like an owner's own tasks: the mixed list merges
 *   two index walks and never sorts everything a user can see.
 * - Its change stamp (change_xid, change_seq) moves whenever the grant or the task changes, so a
 *   grantee's change feed reads shared tasks through one index, with the same never-skip horizon
 *   as the owner's (see CHANGES_SQL).
 * - task_access_ends: the tombstone of an access that ended (revoked, left, task deleted, owner
 *   deleted), written by a trigger whenever a share row goes, however it goes (a DELETE, the soft
 *   delete of the task, or the cascade of the owner's account deletion), so no path can forget
 *   it. No foreign key to the task or its owner: it outlives both. A new grant removes it.
 */
export class TaskShares1764930000000 implements MigrationInterface {
  name = 'TaskShares1764930000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE task_share_role AS ENUM ('viewer', 'editor')`);
    await queryRunner.query(`
      CREATE TABLE task_shares (
        task_id uuid NOT NULL,
        grantee_id uuid NOT NULL,
        owner_id uuid NOT NULL,
        role task_share_role NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        task_created_at timestamptz(3) NOT NULL,
        task_updated_at timestamptz(3) NOT NULL,
        task_priority task_priority NOT NULL,
        task_due_at timestamptz(3),
        change_xid bigint NOT NULL DEFAULT task_change_xid(),
        change_seq bigint NOT NULL DEFAULT nextval('task_change_seq'),
        CONSTRAINT task_shares_pkey PRIMARY KEY (task_id, grantee_id),
        CONSTRAINT task_shares_task_id_fkey FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE,
        CONSTRAINT task_shares_grantee_id_fkey FOREIGN KEY (grantee_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT task_shares_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT task_shares_not_owner CHECK (grantee_id <> owner_id)
      )`);
    // The grantee's side of every list order, written exactly like the tasks' indexes (the shared
    // branch of the list query orders by these columns; see buildListQuery).
    await queryRunner.query(`CREATE INDEX task_shares_grantee_created_idx ON task_shares (grantee_id, task_created_at, task_id)`);
    await queryRunner.query(`CREATE INDEX task_shares_grantee_updated_idx ON task_shares (grantee_id, task_updated_at, task_id)`);
    await queryRunner.query(`CREATE INDEX task_shares_grantee_priority_idx ON task_shares (grantee_id, task_priority, task_created_at, task_id)`);
    await queryRunner.query(
      `CREATE INDEX task_shares_grantee_due_asc_idx ON task_shares (grantee_id, (coalesce(task_due_at, 'infinity'::timestamptz)), task_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX task_shares_grantee_due_desc_idx ON task_shares (grantee_id, (coalesce(task_due_at, '-infinity'::timestamptz)), task_id)`,
    );
    // The grantee's change feed, and the cascade of an owner's account deletion.
    await queryRunner.query(`CREATE INDEX task_shares_grantee_change_idx ON task_shares (grantee_id, change_xid, change_seq)`);
    await queryRunner.query(`CREATE INDEX task_shares_owner_idx ON task_shares (owner_id)`);

    await queryRunner.query(`
      CREATE TABLE task_access_ends (
        grantee_id uuid NOT NULL,
        task_id uuid NOT NULL,
        owner_id uuid NOT NULL,
        ended_at timestamptz(3) NOT NULL DEFAULT now(),
        change_xid bigint NOT NULL DEFAULT task_change_xid(),
        change_seq bigint NOT NULL DEFAULT nextval('task_change_seq'),
        CONSTRAINT task_access_ends_pkey PRIMARY KEY (grantee_id, task_id),
        CONSTRAINT task_access_ends_grantee_id_fkey FOREIGN KEY (grantee_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX task_access_ends_grantee_change_idx ON task_access_ends (grantee_id, change_xid, change_seq)`);
    // Whose caches an ended access touched: by task (a task's writes) and by owner (an account deletion).
    await queryRunner.query(`CREATE INDEX task_access_ends_task_idx ON task_access_ends (task_id)`);
    await queryRunner.query(`CREATE INDEX task_access_ends_owner_idx ON task_access_ends (owner_id)`);

    // A grant's change (its role) moves its stamp like a task's change does (same function).
    await queryRunner.query(`
      CREATE TRIGGER task_shares_track_change BEFORE UPDATE ON task_shares
      FOR EACH ROW EXECUTE FUNCTION tasks_track_change()`);

    // Every way a share row goes leaves a tombstone for the grantee, unless the grantee is the one
    // being deleted (then the row would point at no account; the grantee's own tombstones go with it).
    await queryRunner.query(`
      CREATE FUNCTION task_shares_end_access() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_access_ends (grantee_id, task_id, owner_id)
        SELECT OLD.grantee_id, OLD.task_id, OLD.owner_id
        WHERE EXISTS (SELECT 1 FROM users WHERE id = OLD.grantee_id)
        ON CONFLICT (grantee_id, task_id) DO UPDATE
          SET owner_id = EXCLUDED.owner_id, ended_at = now(), change_xid = task_change_xid(), change_seq = nextval('task_change_seq');
        RETURN OLD;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER task_shares_end_access AFTER DELETE ON task_shares
      FOR EACH ROW EXECUTE FUNCTION task_shares_end_access()`);

    // A new grant supersedes the tombstone of an earlier one.
    await queryRunner.query(`
      CREATE FUNCTION task_shares_begin_access() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM task_access_ends WHERE grantee_id = NEW.grantee_id AND task_id = NEW.task_id;
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER task_shares_begin_access AFTER INSERT ON task_shares
      FOR EACH ROW EXECUTE FUNCTION task_shares_begin_access()`);

    // A task's change reaches its grants in the same transaction: the sort-key copies follow it and
    // the grants' stamps move (through task_shares_track_change), so grantees' lists and feeds see
    // it; its soft delete ends every grant (through task_shares_end_access).
    await queryRunner.query(`
      CREATE FUNCTION tasks_sync_shares() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.deleted_at IS NOT NULL THEN
          DELETE FROM task_shares WHERE task_id = NEW.id;
        ELSE
          UPDATE task_shares
          SET task_updated_at = NEW.updated_at, task_priority = NEW.priority, task_due_at = NEW.due_at, task_created_at = NEW.created_at
          WHERE task_id = NEW.id;
        END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER tasks_sync_shares AFTER UPDATE ON tasks
      FOR EACH ROW EXECUTE FUNCTION tasks_sync_shares()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER tasks_sync_shares ON tasks`);
    await queryRunner.query(`DROP FUNCTION tasks_sync_shares()`);
    await queryRunner.query(`DROP TABLE task_shares`);
    await queryRunner.query(`DROP FUNCTION task_shares_begin_access()`);
    await queryRunner.query(`DROP FUNCTION task_shares_end_access()`);
    await queryRunner.query(`DROP TABLE task_access_ends`);
    await queryRunner.query(`DROP TYPE task_share_role`);
  }
}
