/**
 * Experiment (`npm run bench -- --versus-experiment no-pg-deadline`): the pool's clients are plain
 * node-postgres clients without `query_timeout` (no timer per query, no DeadlineClient); the
 * server-side statement_timeout stays. Half of no-deadlines.ts.
 */
import * as database from '../../src/database/database';

type Options = ReturnType<typeof database.dataSourceOptions>;

const original = database.dataSourceOptions;
const withoutDeadlines = (...args: Parameters<typeof database.dataSourceOptions>): Options => {
  const options = original(...args);
  process.stderr.write('experiment no-pg-deadline: pool without query_timeout\n');
  const extra = { ...(options.extra as Record<string, unknown>) };
  delete extra.query_timeout;
  delete extra.Client;
  return { ...options, extra } as Options;
};
// tsc's CommonJS output keeps exports writable and reads them at each call (`(0, database_1.dataSourceOptions)(…)`).
(database as { dataSourceOptions: typeof database.dataSourceOptions }).dataSourceOptions = withoutDeadlines;
