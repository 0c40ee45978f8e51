import { Logger as NestLogger } from '@nestjs/common';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { createDeadlineClientClass } from './deadline-client';
import { startEmbeddedPostgres, type EmbeddedPostgresLog } from './embedded-postgres';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const EMBEDDED_DATABASE_NAME = 'taskwright';

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

/**
 * `deadlines: false` is for batch work (migrations, seeding) whose statements may rightly run
 * longer than a request should wait: no client-side query deadline and no server-side statement
 * timeout; they keep the connect timeout and keepalive. Migrations never run on the request pool
 * (see runPendingMigrations).
 */
export function dataSourceOptions(config: AppConfig, url: string, { deadlines = true }: { deadlines?: boolean } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logger: new QueryErrorLogger(),
    extra: {
      max: config.databasePoolSize,
      // Bounds both the wait for a pooled connection and the opening of a new one (a partition
      // would otherwise hold the TCP handshake or the startup exchange for minutes).
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
      // Short, so connections left dead by an outage leave the pool soon after it.
      idleTimeoutMillis: 10000,
      // Lets the kernel notice a peer that vanished (host gone, NAT state lost) on idle connections.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10000,
      ...(deadlines ? { statement_timeout: config.databaseStatementTimeoutMs } : {}),
      // The client-side deadline: a server that does not answer at all (partition, stopped process)
      // is never caught by statement_timeout, which the server itself enforces.
      ...(deadlines ? { query_timeout: config.databaseQueryTimeoutMs, Client: createDeadlineClientClass() } : {}),
      application_name: 'taskwright',
    },
  };
}

/**
 * Where the batch DataSources find the entity and migration classes: by path, so that database/
 * imports no feature (one migration imports users' canonicalEmail). They need the entities too:
 * TypeORM creates typeorm_metadata, which the tasks migration writes to, only for entities with a
 * generated column. migrations/index is the list the app imports: the same migrations everywhere.
 */
const ENTITY_FILES = join(__dirname, '..', '**', '*.entity.{js,ts}');
const MIGRATION_LIST = join(__dirname, '..', '..', 'migrations', 'index.{js,ts}');

/** For migrations, seeding and the TypeORM CLI: no request deadlines, every entity and migration. */
export function batchDataSourceOptions(config: AppConfig, url: string): DataSourceOptions {
  return { ...dataSourceOptions(config, url, { deadlines: false }), entities: [ENTITY_FILES], migrations: [MIGRATION_LIST] };
}

/**
 * Applies pending migrations when MIGRATIONS_RUN says so, on a connection of their own without the
 * request deadlines: building an index on a large table may take minutes, a request may not.
 */
export async function runPendingMigrations(config: AppConfig, url: string): Promise<void> {
  if (!config.migrationsRun) return;
  const dataSource = new DataSource(batchDataSourceOptions(config, url));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/**
 * TypeORM's own loggers print the parameters of a failed query, which can hold password hashes
 * or tokens. This one logs the error and the SQL text only.
 */
class QueryErrorLogger implements TypeOrmLogger {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    this.logger.error({ error: error instanceof Error ? error.message : error, query }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ durationMs: time, query }, 'slow query');
  }

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
