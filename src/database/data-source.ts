import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { batchDataSourceOptions, resolveDatabase } from './database';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:*`). Without DATABASE_URL it starts the
 * embedded PostgreSQL for the command's duration and stops it again when the CLI closes the
 * connection. Stop the running service first: the embedded database serves one process at a time.
 */
async function createCliDataSource(): Promise<DataSource> {
  loadDotenv({ quiet: true });
  const config = loadConfig();
  const log = { info: (m: string) => console.error(m), warn: (m: string) => console.error(m) };
  const database = await resolveDatabase(config, log);
  const dataSource = new DataSource(batchDataSourceOptions(config, database.url));
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    await destroy();
    await database.stop();
  };
  return dataSource;
}

export default createCliDataSource();
