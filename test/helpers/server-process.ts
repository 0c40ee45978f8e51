import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stop(): Promise<void>;
}

/**
 * Compiles the app into a temporary folder of its own (other specs and developers use dist/):
 * plain tsc without type-checking, the Swagger plugin is not needed by a spawned server's tests.
 */
export async function buildServer(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'taskwright-build-'));
  await promisify(execFile)(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', dir, '--noCheck', '--sourceMap', 'false'],
    { cwd: ROOT },
  );
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

/** Environment of a production-like server process on 127.0.0.1. */
export function serverEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    ...overrides,
  };
}

/** Starts `src/main.js` of a build on a free port and waits until /health/ready answers 200. */
export async function startServerProcess(buildDir: string, env: Record<string, string>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const output: string[] = [];
    const child = spawn(process.execPath, [join(buildDir, 'src', 'main.js')], {
      cwd: buildDir, // no stray .env from the checkout
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, PORT: String(port) },
    });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
      child.once('exit', (code, signal) => done({ code, signal, at: performance.now() })),
    );
    const baseUrl = `http://127.0.0.1:${port}`;
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const ready = await fetch(`${baseUrl}/health/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready === 200) return { child, port, baseUrl, output, exited, stop };
      await sleep(100);
    }
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    if (attempt < 3 && output.join('').includes('EADDRINUSE')) continue;
    throw new Error(`the server did not become ready:\n${output.join('').slice(-3000)}`);
  }
}
