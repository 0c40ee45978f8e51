import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts and their sessions. Ids come from the application (UUIDv7), never from SQL, so this
 * runs on PostgreSQL 15 and 18 alike.
 */
export class Accounts1763780000000 implements MigrationInterface {
  name = 'Accounts1763780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email varchar(254) NOT NULL,
        name varchar(100) NOT NULL,
        password_hash text NOT NULL,
        role varchar(16) NOT NULL DEFAULT 'user' CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One index serves uniqueness (case-insensitive), login lookups and the admin's prefix filter
    // (text_pattern_ops lets LIKE 'prefix%' use it whatever the database collation is).
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email) text_pattern_ops)`);
    // The admin list filtered by role, newest first, keyset-paginated on id.
    await queryRunner.query(`CREATE INDEX users_role_id_idx ON users (role, id)`);

    await queryRunner.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        refresh_token_hash bytea NOT NULL,
        user_agent varchar(512),
        rotation_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason varchar(32)
      )`);
    // A user's sessions: listing, revoking them all, and the cascade when the user is deleted.
    await queryRunner.query(`CREATE INDEX sessions_user_id_created_at_idx ON sessions (user_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sessions`);
    await queryRunner.query(`DROP TABLE users`);
  }
}
