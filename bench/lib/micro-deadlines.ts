import { Pool } from 'pg';
import { loadConfig } from '../../src/config/app-config';
import { createDeadlineClientClass } from '../../src/database/deadline-client';
import { RedisService } from '../../src/redis/redis.service';
import { sleep } from './util';

export interface DeadlineMicroResult {
  name: string;
  /** Process CPU time (user + system) per call, µs: the fastest of the batches; the plain call twice. */
  plainMicros: [number, number];
  guardedMicros: number;
}

const CONCURRENCY = 32;

/**
 * CPU time per call, `CONCURRENCY` calls in flight as under load. Three variants in alternating
 * order, round after round (so drift on a noisy machine hits all): the plain call twice and the
 * guarded one; each variant's fastest batch counts. The two plain figures differ only by noise,
 * which is what a difference to the guarded one has to be read against.
 */
async function cpuPerCall(
  plain: () => Promise<unknown>,
  guarded: () => Promise<unknown>,
  perBatch: number,
  rounds = 12,
): Promise<{ plainA: number; guarded: number; plainB: number }> {
  const batch = async (fn: () => Promise<unknown>, calls: number): Promise<number> => {
    const before = process.cpuUsage();
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < calls) {
        started += 1;
        await fn();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / calls;
  };
  const variants: Array<[keyof ReturnType<typeof best>, () => Promise<unknown>]> = [
    ['plainA', plain],
    ['guarded', guarded],
    ['plainB', plain],
  ];
  function best(): { plainA: number; guarded: number; plainB: number } {
    return { plainA: Number.POSITIVE_INFINITY, guarded: Number.POSITIVE_INFINITY, plainB: Number.POSITIVE_INFINITY };
  }
  const fastest = best();
  for (const [, fn] of variants) await batch(fn, perBatch / 4);
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, fn] of round % 2 === 0 ? variants : [...variants].reverse()) fastest[name] = Math.min(fastest[name], await batch(fn, perBatch));
  }
  return fastest;
}

/**
 * What the dependency deadlines of issue 17 cost per call, against real servers: a Redis GET
 * through `RedisService#call` (reply deadline + circuit breaker) vs the same client directly, and a
 * `SELECT 1` through a pool of DeadlineClients with `query_timeout` vs a plain pool. CPU time of this
 * process, not wall time: the servers' share is the same on both sides.
 */
export async function runDeadlineMicro(redisUrl: string | undefined, databaseUrl: string | undefined): Promise<DeadlineMicroResult[]> {
  const results: DeadlineMicroResult[] = [];
  if (redisUrl !== undefined) {
    const service = new RedisService(loadConfig({ REDIS_URL: redisUrl }));
    await service.onModuleInit();
    for (let i = 0; i < 100 && !service.available; i += 1) await sleep(50);
    const client = service.client;
    if (!client || !service.available) throw new Error(`Redis at ${redisUrl} did not become ready`);
    const key = 'taskwright-bench:micro';
    await client.set(key, 'x'.repeat(200));
    const cpu = await cpuPerCall(
      () => client.get(key),
      () => service.call((c) => c.get(key)),
      20_000,
    );
    results.push({
      name: 'Redis GET: the client directly / through RedisService#call (deadline + breaker)',
      plainMicros: [cpu.plainA, cpu.plainB],
      guardedMicros: cpu.guarded,
    });
    await client.del(key);
    await service.onApplicationShutdown();
  }
  if (databaseUrl !== undefined) {
    const plainPool = new Pool({ connectionString: databaseUrl, max: 8, application_name: 'taskwright-bench' });
    const deadlinePool = new Pool({
      connectionString: databaseUrl,
      max: 8,
      application_name: 'taskwright-bench',
      query_timeout: 5000,
      Client: createDeadlineClientClass(),
    });
    const cpu = await cpuPerCall(
      () => plainPool.query('SELECT 1'),
      () => deadlinePool.query('SELECT 1'),
      8_000,
    );
    results.push({
      name: 'PostgreSQL SELECT 1 through a pool: plain clients / DeadlineClient with query_timeout',
      plainMicros: [cpu.plainA, cpu.plainB],
      guardedMicros: cpu.guarded,
    });
    await Promise.all([plainPool.end(), deadlinePool.end()]);
  }
  return results;
}
