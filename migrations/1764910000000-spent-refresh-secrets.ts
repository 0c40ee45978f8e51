import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hashes of a session's last spent refresh secrets, newest first (bounded by the rotation
 * query). Only a secret that was once valid for the session counts as reuse and revokes it; any
 * other secret is a plain 401, so knowing a session id (it is in every access token) is not
 * enough to log its owner out.
 */
export class SpentRefreshSecrets1764910000000 implements MigrationInterface {
  name = 'SpentRefreshSecrets1764910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions ADD COLUMN spent_refresh_token_hashes bytea[] NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN spent_refresh_token_hashes`);
  }
}
