import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import type { IncomingMessage } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { createApp } from './app.factory';
import { ShutdownState } from './health/shutdown-state';
import { createRootLogger } from './common/logging/logger';
import { type AppConfig, ConfigValidationError, loadConfig } from './config/app-config';
import { resolveDatabase, type ResolvedDatabase } from './database/database';

function readConfig(): AppConfig {
  loadDotenv({ quiet: true });
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`taskwright: ${error.message}\nSee .env.example for every variable and its default.\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * SIGTERM/SIGINT: readiness turns 503 at once, new connections are still served for the drain
 * delay (while the load balancer notices), then the server stops accepting, in-flight requests
 * finish (bounded by SHUTDOWN_TIMEOUT_MS), the pool and the embedded database close, exit 0.
 * While stopping, a repeated SIGTERM is ignored and a second SIGINT exits at once (code 130).
 */
function handleShutdown(app: NestFastifyApplication, database: ResolvedDatabase, config: AppConfig, logger: Logger): void {
  let stopping = false;
  // While draining, every response asks its client to reconnect (through the load balancer, so
  // to another instance): a keep-alive connection still open when the server closes would have
  // its next request refused with 503 or reset.
  const shutdownState = app.get(ShutdownState);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (shutdownState.isDraining) reply.header('connection', 'close');
    done();
  });
  // Connections accepted but whose request has not arrived yet: http.Server.close() would reset
  // them, so after the drain the listener is closed first and they get a moment to be served.
  const awaitingRequest = new Set<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    awaitingRequest.add(socket);
    socket.once('close', () => awaitingRequest.delete(socket));
  });
  fastify.server.on('request', (request: IncomingMessage) => awaitingRequest.delete(request.socket));
  const stopAccepting = async (): Promise<void> => {
    NetServer.prototype.close.call(fastify.server);
    const until = Date.now() + Math.min(1000, config.shutdownTimeoutMs);
    while (awaitingRequest.size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      // A repeated SIGTERM is the same request again (a process group and a supervisor that
      // forwards both deliver it): the drain goes on, and a hung drain is the orchestrator's SIGKILL.
      // A second SIGINT is a person at a terminal insisting: exit now.
      if (signal === 'SIGTERM') return logger.info({ signal }, 'already shutting down: repeated signal ignored');
      logger.warn({ signal }, 'second interrupt: exiting now');
      logger.flush();
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal, drainDelayMs: config.shutdownDrainDelayMs }, 'shutting down');
    shutdownState.beginDrain();
    await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainDelayMs));
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs, 'timeout').unref());
    const closed = stopAccepting().then(() => app.close());
    const outcome = await Promise.race([closed.then(() => 'closed' as const), timeout]);
    if (outcome === 'timeout') {
      logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'requests still in flight at the shutdown timeout: closing anyway');
      fastify.server.closeAllConnections();
    }
    await database.stop().catch((error: unknown) => logger.error({ err: error }, 'stopping the embedded database failed'));
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, (s) => void stop(s));
}

async function bootstrap(): Promise<void> {
  const config = readConfig();
  const logger = createRootLogger(config);
  const database = await resolveDatabase(config, {
    info: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
  });
  try {
    const app = await createApp({ config, databaseUrl: database.url, logger });
    handleShutdown(app, database, config, logger);
    await app.listen({ port: config.port, host: config.host });
    logger.info({ url: `http://${config.host}:${config.port}`, docs: '/docs', embeddedDatabase: database.embedded }, 'taskwright is listening');
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    await database.stop().catch(() => undefined);
    logger.flush();
    process.exit(1);
  }
}

void bootstrap().catch((error: unknown) => {
  process.stderr.write(`taskwright: start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
