import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { migrations } from '../../migrations';
import { entities } from './entities';
import { startEmbeddedPostgres, type EmbeddedPostgresLog } from './embedded-postgres';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE_NAME = 'taskwright';

/** The configured server, or, when none is configured, an embedded PostgreSQL of our own. */
export async function resolveDatabase(config: AppConfig, log: EmbeddedPostgresLog): Promise<ResolvedDatabase> {
  if (config.databaseUrl !== undefined) {
    return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  }
  const running = await startEmbeddedPostgres({
    dataDir: config.embeddedPgDir,
    port: config.embeddedPgPort,
    database: EMBEDDED_DATABASE_NAME,
    log,
  });
  return { url: running.url, embedded: true, stop: running.stop };
}

export function dataSourceOptions(config: AppConfig, url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsRun: config.migrationsRun,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error', 'warn', 'migration'],
    extra: {
      max: config.databasePoolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      statement_timeout: config.databaseStatementTimeoutMs,
      application_name: 'taskwright',
    },
  };
}
