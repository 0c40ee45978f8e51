import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account recovery (issue 15): verified emails, single-use account tokens, and the transactional
 * outbox the recovery mail leaves through. Hand-written and reviewed; consistent with User,
 * AccountToken and OutboxEvent (test/tasks-schema.e2e-spec.ts diffs them).
 *
 * - users.email_verified: false for every existing account (nobody has proved an address yet).
 * - account_tokens: one row per live token, identified by the SHA-256 of the token (the token
 *   itself is never stored). At most one live token per account and purpose: issuing one deletes
 *   the others, spending one deletes it.
 * - outbox_events: domain events written in the transaction of the change that caused them, read
 *   by the consumer of their topic (`mail` today). Pending rows are claimed with FOR UPDATE SKIP
 *   LOCKED and a lease, so several instances never handle one row at once.
 */
export class AccountRecovery1765000000000 implements MigrationInterface {
  name = 'AccountRecovery1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false`);

    await queryRunner.query(`
      CREATE TABLE account_tokens (
        token_hash bytea NOT NULL,
        user_id uuid NOT NULL,
        purpose varchar(16) NOT NULL,
        new_email varchar(254),
        expires_at timestamptz(3) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT account_tokens_pkey PRIMARY KEY (token_hash),
        CONSTRAINT account_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT account_tokens_purpose_check CHECK (purpose IN ('password-reset', 'email-verify', 'email-change'))
      )`);
    // Superseding a user's tokens of one purpose, and the cascade of an account deletion.
    await queryRunner.query(`CREATE INDEX account_tokens_user_purpose_idx ON account_tokens (user_id, purpose)`);

    await queryRunner.query(`
      CREATE TABLE outbox_events (
        id uuid NOT NULL,
        topic varchar(64) NOT NULL,
        payload jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        available_at timestamptz(3) NOT NULL DEFAULT now(),
        lease_id uuid,
        leased_until timestamptz(3),
        last_error varchar(500),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        processed_at timestamptz(3),
        CONSTRAINT outbox_events_pkey PRIMARY KEY (id),
        CONSTRAINT outbox_events_status_check CHECK (status IN ('pending', 'done', 'failed'))
      )`);
    // The workers' poll: only pending rows, in the order they become due.
    await queryRunner.query(`CREATE INDEX outbox_events_pending_idx ON outbox_events (topic, available_at) WHERE status = 'pending'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE outbox_events`);
    await queryRunner.query(`DROP TABLE account_tokens`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN email_verified`);
  }
}
