import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stored response of an idempotent request becomes `json` instead of `jsonb`: jsonb reorders
 * an object's keys (shortest first), so a replay's body differed from the first response byte for
 * byte. `json` keeps the text as written; nothing queries inside it.
 */
export class IdempotentResponseJson1764920000000 implements MigrationInterface {
  name = 'IdempotentResponseJson1764920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE idempotency_keys ALTER COLUMN response TYPE json USING response::json`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE idempotency_keys ALTER COLUMN response TYPE jsonb USING response::jsonb`);
  }
}
