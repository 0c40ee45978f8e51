import { Client, type ClientConfig } from 'pg';

/** The message node-postgres rejects a query with when `query_timeout` fires. */
const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

type Callback = (error: Error | null | undefined, result?: unknown) => void;
type Release = (error?: Error | boolean) => void;

/**
 * A node-postgres client class for the pool (`extra.Client`) that makes `query_timeout` safe.
 *
 * node-postgres rejects a query that missed its deadline but leaves it in flight on the connection,
 * so the next query on that client would queue behind an answer that may never come (a partition).
 * A client whose query missed its deadline is therefore destroyed: TypeORM then releases it to the
 * pool with the error, the pool discards it, and a ROLLBACK that follows fails at once instead of
 * waiting for a second deadline. The pool's idle clients crossed the same network and would each
 * cost a later request one more deadline after the outage, so they are closed too (reopening a
 * connection to a healthy server costs milliseconds).
 *
 * Each call returns a new class so that two pools in one process (tests) do not evict each other.
 */
export function createDeadlineClientClass(): typeof Client {
  const live = new Set<DeadlineClient>();

  class DeadlineClient extends Client {
    private checkedOut = false;
    private releaseFromPool?: Release;

    constructor(config?: string | ClientConfig) {
      super(config);
      // Only connected clients are candidates for eviction: one still connecting has its own deadline.
      this.once('connect', () => live.add(this));
      this.once('end', () => live.delete(this));
      Object.defineProperty(this, 'query', {
        value: (...args: unknown[]): unknown => {
          const last = args[args.length - 1];
          if (typeof last === 'function') {
            const callback = last as Callback;
            args[args.length - 1] = (error: Error | null | undefined, result?: unknown) => {
              if (error) this.onQueryError(error);
              callback(error, result);
            };
          }
          // Looked up on each call, not once: instrumentation (APM agents, the benchmark's SQL
          // capture) patches Client.prototype.query after pooled clients exist.
          const query = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
          const result = query.apply(this, args);
          if (result instanceof Promise) result.catch((error: unknown) => this.onQueryError(error));
          return result;
        },
      });
    }

    /** pg-pool hands a client out by setting `release` and takes it back through it. */
    get release(): Release | undefined {
      return this.releaseFromPool;
    }

    set release(release: Release | undefined) {
      this.checkedOut = release !== undefined;
      this.releaseFromPool =
        release &&
        ((error?: Error | boolean) => {
          this.checkedOut = false;
          release(error);
        });
    }

    private onQueryError(error: unknown): void {
      if (!(error instanceof Error) || error.message !== QUERY_TIMEOUT_MESSAGE) return;
      this.destroyConnection();
      for (const client of live) {
        if (client !== this && !client.checkedOut) client.destroyConnection();
      }
    }

    /** The socket's close ends the client with "Connection terminated unexpectedly" and an 'error' event. */
    private destroyConnection(): void {
      live.delete(this);
      const connection = (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection;
      connection?.stream?.destroy();
    }
  }

  return DeadlineClient;
}
