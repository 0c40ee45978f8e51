import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildServer } from './helpers/server-process';

/**
 * The production logger writes JSON lines to stdout asynchronously: nothing may be lost when the
 * process exits right after logging, and redaction still applies.
 */
describe('the process logger (e2e, compiled)', () => {
  let build: { dir: string; remove(): void } | undefined;
  beforeAll(async () => {
    build = await buildServer();
  }, 120_000);
  afterAll(() => build?.remove());

  it('delivers every line written just before process.exit, redacted', async () => {
    const script = `
      const { createRootLogger } = require(${JSON.stringify(join(build?.dir ?? '', 'src', 'common', 'logging', 'logger.js'))});
      const logger = createRootLogger({ logLevel: 'info', logPretty: false });
      for (let i = 0; i < 5000; i++) logger.info({ n: i, req: { headers: { authorization: 'Bearer secret-token' } }, body: { password: 'hunter22' } }, 'line');
      logger.child({}, { redact: [] }).info({ n: 5000 }, 'request');
      process.exit(0);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { maxBuffer: 64 * 1024 * 1024 });
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(5001);
    expect(lines.map((line) => line.n)).toEqual(Array.from({ length: 5001 }, (_, i) => i));
    expect(stdout).not.toContain('secret-token');
    expect(stdout).not.toContain('hunter22');
    expect(lines[0]).toMatchObject({ level: 30, service: 'taskwright', msg: 'line' });
    expect(typeof lines[0]?.time).toBe('string');
  });
});
