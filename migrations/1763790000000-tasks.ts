import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The generated search column, written out (a migration must not change when the code does); it must
 * equal TASK_SEARCH_EXPRESSION of TaskEntity, which test/tasks-schema.e2e-spec.ts checks.
 */
const SEARCH_EXPRESSION = `to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(description, ''))`;

/**
 * Tasks and idempotency keys (issue #4). Hand-written and reviewed; consistent with TaskEntity and
 * IdempotencyKeyEntity (test/tasks-schema.e2e-spec.ts diffs them). Runs on PostgreSQL 15 and 18:
 * no uuidv7() (ids come from the application), xid8 functions exist since 13, and every
 * generated column and index expression is immutable (explicit regconfig, constant infinities).
 */
export class Tasks1763790000000 implements MigrationInterface {
  name = 'Tasks1763790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE task_status AS ENUM ('todo', 'in_progress', 'done')`);
    // Declared in ascending urgency: enum comparison follows declaration order, so `sort=priority`
    // is a plain index order.
    await queryRunner.query(`CREATE TYPE task_priority AS ENUM ('low', 'medium', 'high')`);
    await queryRunner.query(`CREATE SEQUENCE task_change_seq`);
    // The 64-bit id of the writing transaction as bigint (xid8 has no cast to bigint; TypeORM no
    // xid8 type). 2^63 transactions are out of reach, so the conversion never overflows.
    await queryRunner.query(`CREATE FUNCTION task_change_xid() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT pg_current_xact_id()::text::bigint $$`);
    await queryRunner.query(`
      CREATE TABLE tasks (
        id uuid NOT NULL,
        owner_id uuid NOT NULL,
        title varchar(200) NOT NULL,
        description varchar(10000),
        status task_status NOT NULL DEFAULT 'todo',
        priority task_priority NOT NULL DEFAULT 'medium',
        due_at timestamptz(3),
        tags text[] NOT NULL DEFAULT '{}',
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        completed_at timestamptz(3),
        deleted_at timestamptz(3),
        change_xid bigint NOT NULL DEFAULT task_change_xid(),
        change_seq bigint NOT NULL DEFAULT nextval('task_change_seq'),
        search tsvector GENERATED ALWAYS AS (${SEARCH_EXPRESSION}) STORED,
        CONSTRAINT tasks_pkey PRIMARY KEY (id),
        CONSTRAINT tasks_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT tasks_title_not_blank CHECK (length(btrim(title)) > 0),
        CONSTRAINT tasks_tags_max CHECK (cardinality(tags) <= 20),
        CONSTRAINT tasks_completed_iff_done CHECK ((status = 'done') = (completed_at IS NOT NULL)),
        CONSTRAINT tasks_version_positive CHECK (version > 0)
      )`);
    await queryRunner.query(`ALTER SEQUENCE task_change_seq OWNED BY tasks.change_seq`);
    // TypeORM reads generated-column expressions from its own metadata table (created by the
    // migration runner because TaskEntity has one); without this row it would see a difference.
    await queryRunner.query(
      `INSERT INTO typeorm_metadata ("database", "schema", "table", "type", "name", "value")
       VALUES (current_database(), current_schema(), 'tasks', 'GENERATED_COLUMN', 'search', $1)`,
      [SEARCH_EXPRESSION],
    );

    // Change tracking for the feed. Inserts take change_xid/change_seq from the column defaults; a
    // trigger stamps every update (including soft deletes and writes made outside the service),
    // so no write path can forget to and no change can be missed by the feed.
    await queryRunner.query(`
      CREATE FUNCTION tasks_track_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.change_xid := task_change_xid();
        NEW.change_seq := nextval('task_change_seq');
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER tasks_track_change BEFORE UPDATE ON tasks
      FOR EACH ROW EXECUTE FUNCTION tasks_track_change()`);

    // Keyset pagination: owner, then the sort key, then id as the tie-breaker, so every page is an
    // index range scan from the cursor, at any depth, in either direction (scanned backwards for
    // descending sorts). Partial: tombstones are only read by the change feed.
    await queryRunner.query(`CREATE INDEX tasks_owner_created_idx ON tasks (owner_id, created_at, id) WHERE deleted_at IS NULL`);
    await queryRunner.query(`CREATE INDEX tasks_owner_updated_idx ON tasks (owner_id, updated_at, id) WHERE deleted_at IS NULL`);
    // Serves sort=priority (ties by creation) and the priority filter with the creation sorts.
    await queryRunner.query(`CREATE INDEX tasks_owner_priority_idx ON tasks (owner_id, priority, created_at, id) WHERE deleted_at IS NULL`);
    // The status filter with the default sort, the most common mobile query ("my open tasks").
    await queryRunner.query(`CREATE INDEX tasks_owner_status_created_idx ON tasks (owner_id, status, created_at, id) WHERE deleted_at IS NULL`);
    // Tasks without a due date come last in both directions. A NULLS LAST index can only serve one
    // direction, so each direction gets an expression index that maps NULL to the far end; the
    // list query orders by exactly these expressions (and the dueBefore/dueAfter filters use them).
    await queryRunner.query(
      `CREATE INDEX tasks_owner_due_asc_idx ON tasks (owner_id, (coalesce(due_at, 'infinity'::timestamptz)), id) WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX tasks_owner_due_desc_idx ON tasks (owner_id, (coalesce(due_at, '-infinity'::timestamptz)), id) WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX tasks_tags_idx ON tasks USING gin (tags)`);
    await queryRunner.query(`CREATE INDEX tasks_search_idx ON tasks USING gin (search)`);
    // A search or tag filter with a sort can run two ways: walk the sort index and filter (best for
    // common words), or read the matches from the GIN index and sort them (best for rare ones).
    // The planner picks well only if it knows rare lexemes are rare; with the default statistics
    // target it guesses ~0.5% for any word outside its sample and walks 900,000 rows of a big
    // owner's tasks (measured: 1.3 s) for a word that matches 90. A tenfold sample fixes that
    // (2 ms) for the price of a slower ANALYZE.
    await queryRunner.query(`ALTER TABLE tasks ALTER COLUMN search SET STATISTICS 1000`);
    await queryRunner.query(`ALTER TABLE tasks ALTER COLUMN tags SET STATISTICS 1000`);
    // The change feed: one owner's changes in (transaction, sequence) order, tombstones included.
    await queryRunner.query(`CREATE INDEX tasks_owner_change_idx ON tasks (owner_id, change_xid, change_seq)`);

    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL,
        scope varchar(64) NOT NULL,
        key varchar(255) NOT NULL,
        request_hash char(64) NOT NULL,
        resource_id uuid,
        response jsonb,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, scope, key),
        CONSTRAINT idempotency_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    // The opportunistic purge of keys older than 24 h.
    await queryRunner.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_keys`);
    await queryRunner.query(
      `DELETE FROM typeorm_metadata WHERE "database" = current_database() AND "schema" = current_schema() AND "table" = 'tasks' AND "type" = 'GENERATED_COLUMN' AND "name" = 'search'`,
    );
    await queryRunner.query(`DROP TABLE tasks`);
    await queryRunner.query(`DROP FUNCTION tasks_track_change()`);
    await queryRunner.query(`DROP FUNCTION task_change_xid()`);
    await queryRunner.query(`DROP TYPE task_priority`);
    await queryRunner.query(`DROP TYPE task_status`);
  }
}
