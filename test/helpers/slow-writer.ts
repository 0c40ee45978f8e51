import { Client } from 'pg';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A writer around the API whose transactions take their id early and commit late: the
 * out-of-order commits a naive "updatedAt > since" or sequence feed would skip. It updates a task
 * that `target()` names until `writing()` is false. The title it writes does not grow with the
 * number of passes (a faster machine makes more of them), so it never outgrows the column.
 */
export async function runSlowWriter(
  databaseUrl: string,
  target: () => string | undefined,
  writing: () => boolean,
  holdMs: { min: number; spread: number },
): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let commits = 0;
  try {
    while (writing()) {
      const id = target();
      if (id !== undefined) {
        await client.query('BEGIN');
        await client.query(
          `UPDATE tasks SET title = 'slow write ' || (version + 1), version = version + 1, updated_at = now() WHERE id = $1 AND deleted_at IS NULL`,
          [id],
        );
        await sleep(holdMs.min + Math.random() * holdMs.spread);
        await client.query('COMMIT');
        commits += 1;
      }
      await sleep(5);
    }
  } finally {
    await client.end();
  }
  return commits;
}
