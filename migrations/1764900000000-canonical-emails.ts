import type { MigrationInterface, QueryRunner } from 'typeorm';
import { canonicalEmail } from '../src/users/canonical-email';

const BATCH = 5000;

/**
 * Emails were unique and matched on PostgreSQL's lower(email), while the rate limiter keyed on
 * JavaScript's toLowerCase(): they disagree (U+0130 İ, the KELVIN SIGN, ß, fullwidth letters...),
 * so each spelling got a fresh login budget yet opened the same account. Every comparison now uses
 * `email_canonical`, computed by canonicalEmail() in the application; `email` stays as typed, for
 * display. The backfill uses that same function (if it ever changes, a new migration recomputes
 * the column).
 *
 * Two existing rows with one canonical form (possible only through the old mismatch) cannot both
 * keep it: the oldest account keeps it; each newer one gets a marker no login can produce, so it
 * can no longer log in by email and an admin must sort it out (logged below).
 */
export class CanonicalEmails1764900000000 implements MigrationInterface {
  name = 'CanonicalEmails1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_canonical text`);
    const taken = new Set<string>();
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const rows = (await queryRunner.query(
        `SELECT id, email, created_at FROM users
         WHERE $1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid)
         ORDER BY created_at, id LIMIT ${BATCH}`,
        [after?.createdAt ?? null, after?.id ?? null],
      )) as Array<{ id: string; email: string; created_at: Date }>;
      if (rows.length === 0) break;
      const ids: string[] = [];
      const canonicals: string[] = [];
      for (const row of rows) {
        let canonical = canonicalEmail(row.email);
        if (taken.has(canonical)) {
          process.stderr.write(
            `migration ${this.name}: account ${row.id} shares its canonical email with an older account; it can no longer log in by email\n`,
          );
          canonical = `#duplicate:${row.id}:${canonical}`;
        }
        taken.add(canonical);
        ids.push(row.id);
        canonicals.push(canonical);
      }
      await queryRunner.query(
        `UPDATE users u SET email_canonical = c.canonical
         FROM unnest($1::uuid[], $2::text[]) AS c (id, canonical) WHERE u.id = c.id`,
        [ids, canonicals],
      );
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < BATCH) break;
      after = { createdAt: last.created_at, id: last.id };
    }
    await queryRunner.query(`ALTER TABLE users ALTER COLUMN email_canonical SET NOT NULL`);
    // Uniqueness, login lookups and the admin's prefix filter (text_pattern_ops lets LIKE 'prefix%'
    // use it whatever the database collation is).
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_canonical_key ON users (email_canonical text_pattern_ops)`);
    await queryRunner.query(`DROP INDEX users_email_lower_key`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email) text_pattern_ops)`);
    await queryRunner.query(`DROP INDEX users_email_canonical_key`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN email_canonical`);
  }
}
