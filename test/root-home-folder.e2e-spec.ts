import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, type ServerProcess, serverEnv, startServerProcess } from './helpers/server-process';
import { describeIf } from './helpers/skip';

const ROOT = resolve(__dirname, '..');
const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/**
 * Root runs the service from a clone in a folder the `postgres` user cannot traverse (root's home
 * is mode 700), with no DATABASE_URL: the embedded PostgreSQL, which runs as `postgres`, must still
 * initialise and start, because neither its data nor its binaries may stay under that folder.
 */
/** The case exists only for root: PostgreSQL then runs as the `postgres` user. */
const describeAsRoot = describeIf(isRoot, 'not root: only as root does PostgreSQL run as the postgres user');

describeAsRoot('the embedded PostgreSQL from a clone in root’s home folder (e2e)', () => {
  let home: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'taskwright-roothome-'));
  });

  afterAll(async () => {
    await server?.stop();
    // The per-checkout copies in the temp space that the server named in its log.
    const log = server?.output.join('') ?? '';
    for (const match of log.matchAll(/(?:keeping embedded data in|PostgreSQL binaries in) (\S+?taskwright-pg-[^\s"\\]+)/g)) {
      if (match[1]) rmSync(match[1], { recursive: true, force: true });
    }
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('initialises, starts and answers /health/ready 200', async () => {
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const clone = join(home, 'taskwright');
    mkdirSync(clone);
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', clone, '--noCheck', '--sourceMap', 'false'], {
      cwd: ROOT,
    });
    // Its own node_modules (hard links: same files, no extra space), not a symlink that would
    // resolve back to this checkout.
    await run('cp', ['-al', join(ROOT, 'node_modules'), join(clone, 'node_modules')]);

    server = await startServerProcess(clone, serverEnv({ NODE_ENV: 'development', EMBEDDED_PG_PORT: String(await freePort()) }));
    const ready = await fetch(`${server.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ details: { database: { status: 'up' } } });
    expect(server.output.join('')).toMatch(/not traversable by the postgres user; using a copy of the PostgreSQL binaries in/);
  }, 120_000);
});
