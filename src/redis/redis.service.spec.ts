import { ErrorReply } from '@redis/client';
import { createServer, type Server, type Socket } from 'node:net';
import { loadConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { RedisService, RedisUnavailableError } from './redis.service';

/**
 * Just enough of a Redis server: answers PING, GET (nil, or an error reply for the key "bad") and
 * anything else with +OK. `silence()` makes every open connection, and each new one, swallow what
 * it receives without answering (a partition); `speak()` lets new connections answer again, while
 * the silenced ones stay silent, as after a real partition.
 */
class FakeRedis {
  private server?: Server;
  private silent = false;
  private readonly silenced = new WeakSet<Socket>();
  private readonly sockets = new Set<Socket>();
  commands = 0;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      if (this.silent) this.silenced.add(socket);
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const parsed = parseCommand(buffer);
          if (!parsed) break;
          buffer = buffer.subarray(parsed.length);
          this.commands += 1;
          if (this.silenced.has(socket)) continue;
          socket.write(reply(parsed.args));
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    this.port = address.port;
  }

  silence(): void {
    this.silent = true;
    for (const socket of this.sockets) this.silenced.add(socket);
  }

  speak(): void {
    this.silent = false;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** One RESP array of bulk strings, or undefined while incomplete. */
function parseCommand(buffer: Buffer): { args: string[]; length: number } | undefined {
  let offset = 0;
  const line = (): string | undefined => {
    const end = buffer.indexOf('\r\n', offset);
    if (end < 0) return undefined;
    const text = buffer.subarray(offset, end).toString();
    offset = end + 2;
    return text;
  };
  const header = line();
  if (header === undefined) return undefined;
  const count = Number(header.slice(1));
  const args: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const size = line();
    if (size === undefined) return undefined;
    const length = Number(size.slice(1));
    if (buffer.length < offset + length + 2) return undefined;
    args.push(buffer.subarray(offset, offset + length).toString());
    offset += length + 2;
  }
  return { args, length: offset };
}

function reply(args: string[]): string {
  const command = args[0]?.toUpperCase();
  if (command === 'PING') return '+PONG\r\n';
  if (command === 'GET') return args[1] === 'bad' ? '-ERR wrong kind of value\r\n' : '$-1\r\n';
  return '+OK\r\n';
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

describe('RedisService', () => {
  let fake: FakeRedis;
  let redis: RedisService;
  let metrics: MetricsService;

  beforeEach(async () => {
    fake = new FakeRedis();
    await fake.start();
    metrics = new MetricsService();
    const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${fake.port}`, REDIS_TIMEOUT_MS: '200', REDIS_PING_INTERVAL_MS: '200' });
    redis = new RedisService(config, metrics);
    await redis.onModuleInit();
    await waitFor(() => redis.available, 5000);
  });

  afterEach(async () => {
    await redis.onApplicationShutdown();
    await fake.stop();
  });

  const circuitGauge = async (): Promise<string> => (await metrics.registry.getSingleMetricAsString('redis_circuit_open')).split('\n').at(-1) ?? '';

  it('fails a call that gets no reply within REDIS_TIMEOUT_MS, then fails the next ones at once without calling Redis', async () => {
    await expect(redis.call((client) => client.get('k'))).resolves.toBeNull();
    fake.silence();
    const started = Date.now();
    await expect(redis.call((client) => client.get('k'))).rejects.toThrow(RedisUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(redis.available).toBe(false);
    expect(await circuitGauge()).toBe('redis_circuit_open 1');
    expect(await metrics.registry.getSingleMetricAsString('redis_call_timeouts_total')).toMatch(/redis_call_timeouts_total 1$/);

    // "At once": nothing reaches Redis and no call waits for its deadline (which would count a timeout).
    const sent = fake.commands;
    await expect(redis.call((client) => client.get('k'))).rejects.toThrow('circuit open');
    await expect(redis.ping()).rejects.toThrow(RedisUnavailableError);
    expect(fake.commands).toBe(sent);
    expect(await metrics.registry.getSingleMetricAsString('redis_call_timeouts_total')).toMatch(/redis_call_timeouts_total 1$/);
  });

  it('replaces a connection a partition silenced, and closes the circuit once Redis answers again', async () => {
    fake.silence();
    await expect(redis.call((client) => client.get('k'))).rejects.toThrow(RedisUnavailableError);
    // Long enough for the silent connection to be closed and a (silent) new one opened.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(redis.available).toBe(false);
    fake.speak();
    const recoveredMs = await waitFor(() => redis.available, 5000);
    expect(recoveredMs).toBeLessThan(3000);
    await expect(redis.call((client) => client.get('k'))).resolves.toBeNull();
    expect(await circuitGauge()).toBe('redis_circuit_open 0');
  });

  it('passes an error reply through without opening the circuit: the connection works', async () => {
    await expect(redis.call((client) => client.get('bad'))).rejects.toThrow(ErrorReply);
    expect(redis.available).toBe(true);
    await expect(redis.ping()).resolves.toBeUndefined();
  });
});
