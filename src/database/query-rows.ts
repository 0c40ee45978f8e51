import type { EntityManager } from 'typeorm';

/**
 * Runs parameterised SQL and returns its rows whatever the statement. The one answer to a TypeORM
 * quirk: its `query()` returns `[rows, count]` for UPDATE and DELETE (so UPDATE ... RETURNING
 * would need unpacking) and plain rows for everything else; the structured result has the rows
 * for all of them. Uses the manager's transaction when it has one.
 */
export async function queryRows<T>(manager: EntityManager, sql: string, parameters: unknown[]): Promise<T[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    return result.records as T[];
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}
