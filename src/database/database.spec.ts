import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './database';

describe('dataSourceOptions', () => {
  const config = loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '1500', DATABASE_CONNECT_TIMEOUT_MS: '700', DATABASE_STATEMENT_TIMEOUT_MS: '9000' });
  const extra = (deadlines: boolean) => dataSourceOptions(config, 'postgres://db/app', { deadlines }).extra as Record<string, unknown>;

  it('bounds every request query on both sides, and the wait for a connection', () => {
    expect(extra(true)).toMatchObject({ query_timeout: 1500, statement_timeout: 9000, connectionTimeoutMillis: 700, keepAlive: true });
  });

  it('lets batch work (migrations, seeding) run long statements but still bounds the connection', () => {
    expect(extra(false)).not.toHaveProperty('query_timeout');
    expect(extra(false)).not.toHaveProperty('statement_timeout');
    expect(extra(false)).toMatchObject({ connectionTimeoutMillis: 700, keepAlive: true });
  });

  it('never runs migrations on the request pool (runPendingMigrations does, without deadlines)', () => {
    expect(dataSourceOptions(loadConfig({ MIGRATIONS_RUN: 'true' }), 'postgres://db/app').migrationsRun).toBe(false);
  });
});
