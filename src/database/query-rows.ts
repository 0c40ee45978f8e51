import type { EntityManager } from 'typeorm';

/**
 * Runs parameterised SQL and returns its rows whatever the statement (TypeORM's `query()` answers
 * UPDATE and DELETE with `[rows, count]` and everything else with rows). Uses the manager's
 * transaction when it has one.
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
