import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';

/**
 * With TEST_DATABASE_URL the suite uses that server; without it, a throwaway embedded PostgreSQL
 * in a temporary folder, on TEST_EMBEDDED_PG_PORT or a random port. Either way each spec file then creates a database of its own.
 * Runs in plain Node (embedded-postgres cannot load inside Jest's module sandbox).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const root = mkdtempSync(join(tmpdir(), 'taskwright-test-'));
  chmodSync(root, 0o755); // the postgres user must traverse it when we run as root
  const dataDir = join(root, 'pg');
  // TEST_EMBEDDED_PG_PORT pins the port (a firewall, a port already taken); otherwise a random one.
  const pinned = process.env.TEST_EMBEDDED_PG_PORT;
  if (pinned !== undefined && !/^\d{4,5}$/.test(pinned)) throw new Error(`TEST_EMBEDDED_PG_PORT must be a port number (got "${pinned}")`);
  const port = pinned !== undefined ? Number(pinned) : 55000 + Math.floor(Math.random() * 5000);
  const log = { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`) };
  const running = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', log });
  process.env.TEST_DATABASE_URL = running.url;
  (globalThis as { __EMBEDDED_PG__?: unknown }).__EMBEDDED_PG__ = { stop: running.stop, root };
}
