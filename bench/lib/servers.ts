import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive, type MemorySample, readCpuMs, readMemory } from './proc';
import { errorMessage, sleep } from './util';

export type ServerKind = 'taskwright' | 'baseline';

export interface ServerSpec {
  /** Short id used in file names and JSON (`tw-cache`). */
  id: string;
  /** What the report calls it (`Taskwright, cache on`). */
  label: string;
  kind: ServerKind;
  /** The compiled entry point. */
  script: string;
  port: number;
  /** The complete environment of the process: nothing is inherited but PATH and HOME. */
  env: Record<string, string>;
  nodeArgs?: string[];
  cwd: string;
  logFile: string;
}

const running = new Set<ServerProcess>();

/** A server under test: a child `node` process whose stdout and stderr go to its log file. */
export class ServerProcess {
  readonly spec: ServerSpec;
  private child: ChildProcess | undefined;
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;

  constructor(spec: ServerSpec) {
    this.spec = spec;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`${this.spec.id} is not running`);
    return pid;
  }

  get isRunning(): boolean {
    return this.child?.pid !== undefined && this.exitCode === undefined && isAlive(this.child.pid);
  }

  /** Starts the process and resolves once GET /health/ready answers 200. */
  async start(timeoutMs = 90_000): Promise<void> {
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    const log = openSync(this.spec.logFile, 'w');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...this.spec.env };
    try {
      this.child = spawn(process.execPath, [...(this.spec.nodeArgs ?? []), this.spec.script], {
        cwd: this.spec.cwd,
        env,
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    running.add(this);
    this.exitCode = undefined;
    this.child.on('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
      running.delete(this);
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) {
        throw new Error(`${this.spec.label} exited during start-up (code ${String(this.exitCode)}, signal ${String(this.exitSignal)}):\n${this.logTail(25)}`);
      }
      try {
        const response = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(150);
    }
    await this.stop();
    throw new Error(`${this.spec.label} was not ready within ${timeoutMs / 1000} s:\n${this.logTail(25)}`);
  }

  memory(): MemorySample | undefined {
    return this.child?.pid === undefined ? undefined : readMemory(this.child.pid);
  }

  cpuMs(): number | undefined {
    return this.child?.pid === undefined ? undefined : readCpuMs(this.child.pid);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.isRunning) this.child?.kill(signal);
  }

  /** SIGTERM (graceful: Taskwright closes its pool and, with --cpu-prof, writes its profile), SIGKILL after 20 s. */
  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child || this.exitCode !== undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const outcome = await Promise.race([exited.then(() => 'exited' as const), sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(5000)]);
    }
    running.delete(this);
  }

  logTail(lines: number): string {
    try {
      const size = statSync(this.spec.logFile).size;
      const text = readFileSync(this.spec.logFile, 'utf8').slice(Math.max(0, size - 64 * 1024));
      return text.split('\n').slice(-lines).join('\n');
    } catch (error) {
      return `(no log: ${errorMessage(error)})`;
    }
  }

  logBytes(): number {
    try {
      return statSync(this.spec.logFile).size;
    } catch {
      return 0;
    }
  }
}

/** Stops every server this process started (on the way out, also after an error or Ctrl-C). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop(10_000)));
}
