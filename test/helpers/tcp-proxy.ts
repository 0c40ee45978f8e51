import { createServer, type Server, Socket } from 'node:net';

type Mode = 'pass' | 'refuse' | 'blackhole';

/**
 * A TCP proxy between the app and a dependency (Redis, PostgreSQL) that a test can break the way
 * real networks break:
 * - `down()` refuses: every connection is destroyed and new ones are closed at once (a crashed
 *   server, a refused port);
 * - `blackhole()` partitions: every connection stays open, but nothing crosses in either direction
 *   and new connections are accepted and then held without an answer (a partition, a SIGSTOPped
 *   server, a failover without a reset). Bytes sent meanwhile are dropped, as a real network drops
 *   them;
 * - `up()` restores traffic. Connections held during a black hole stay silent: as after a real
 *   partition, the client must notice and reconnect.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Connections accepted during a black hole: never connected upstream. */
  private readonly held = new Set<Socket>();
  /** Connection pairs whose traffic is dropped: created before or during a black hole. */
  private readonly silenced = new WeakSet<Socket>();
  private mode: Mode = 'pass';
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      client.on('error', () => client.destroy());
      if (this.mode === 'refuse') {
        client.destroy();
        return;
      }
      if (this.mode === 'blackhole') {
        this.held.add(client);
        client.on('data', () => undefined); // read and drop
        client.on('close', () => this.held.delete(client));
        return;
      }
      const upstream = new Socket();
      upstream.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      // Not pipe(): a silenced pair must drop bytes, not buffer them for later delivery.
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (chunk: Buffer) => {
          if (!this.silenced.has(from) && !to.destroyed) to.write(chunk);
        });
      forward(client, upstream);
      forward(upstream, client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    this.port = address.port;
  }

  /** Refuse: destroy every connection and close new ones at once. */
  down(): void {
    this.mode = 'refuse';
    for (const socket of [...this.sockets, ...this.held]) socket.destroy();
  }

  /** Partition: keep every connection open but let nothing through, and hold new ones unanswered. */
  blackhole(): void {
    this.mode = 'blackhole';
    for (const socket of this.sockets) this.silenced.add(socket);
  }

  /** Restore traffic for new connections (connections silenced by a black hole stay silent). */
  up(): void {
    this.mode = 'pass';
  }

  async stop(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
