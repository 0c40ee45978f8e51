import { Controller, Get, HttpException, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiExtraModels, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { type HealthIndicatorFunction, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { NotRateLimited } from '../common/auth/auth-rate-limit.decorator';
import { DataSource } from 'typeorm';
import { Public } from '../common/auth/public.decorator';
import { ShutdownState } from './shutdown-state';
import { RedisService } from '../redis/redis.service';
import { HealthDto, HealthIndicatorDto, LiveDto } from './dto/health.dto';

/** Each dependency gets this long, so /health/ready answers within 1 s even during a partition. */
const READINESS_CHECK_DEADLINE_MS = 800;

function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('deadline')), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

@ApiTags('health')
@ApiExtraModels(HealthIndicatorDto)
@Public()
@NotRateLimited()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dataSource: DataSource,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisService,
    private readonly shutdown: ShutdownState,
  ) {}

  /** One ping at a time: probes arriving during an outage share it instead of queueing on the pool. */
  private databasePing?: { startedAt: number; done: Promise<unknown> };

  /**
   * Liveness: the process answers
   *
   * @remarks
   * Touches no dependency, so a database or Redis outage never gets a healthy instance restarted.
   * Restart the container when this fails. Public, never rate-limited, never cached.
   */
  @Get('live')
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  /**
   * Readiness: PostgreSQL answers (and Redis, when configured, or it is reported `degraded`)
   *
   * @remarks
   * 503 when PostgreSQL does not answer within its deadline (naming the dependency, never its
   * address) and while draining for shutdown (`shutting_down`), so load balancers stop routing
   * here. A Redis outage is `degraded` with 200: the service still works without it. Answers
   * within about a second, whatever the dependencies do. Public, never rate-limited.
   */
  @Get('ready')
  @ApiOkResponse({ type: HealthDto, description: 'Ready (possibly degraded: Redis down, served from PostgreSQL)' })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'Not ready: a required dependency is down, or shutting down' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthDto> {
    reply.header('cache-control', 'no-store');
    if (this.shutdown.isDraining) {
      reply.status(503);
      const down = { shutdown: { status: 'down', message: 'draining for shutdown' } };
      return { status: 'shutting_down', info: {}, error: down, details: down };
    }
    // The messages name what is wrong, never where: no host, port or driver message for anyone to read.
    const checks: HealthIndicatorFunction[] = [
      async () => {
        const database = this.indicators.check('database');
        try {
          await withinDeadline(this.pingDatabase(), READINESS_CHECK_DEADLINE_MS);
          return database.up();
        } catch {
          return database.down({ message: 'database unavailable' });
        }
      },
    ];
    if (this.redis.enabled) {
      checks.push(async () => {
        const redis = this.indicators.check('redis');
        try {
          await withinDeadline(this.redis.ping(), READINESS_CHECK_DEADLINE_MS);
          return redis.up();
        } catch {
          return redis.degraded({ message: 'redis unavailable; serving without it' });
        }
      });
    }
    try {
      return (await this.health.check(checks)) as HealthDto;
    } catch (error) {
      // Terminus reports "not ready" as an exception carrying the report: send the report itself.
      if (error instanceof HttpException && error.getStatus() === 503) {
        reply.status(503);
        return error.getResponse() as HealthDto;
      }
      throw error;
    }
  }

  private pingDatabase(): Promise<unknown> {
    const now = Date.now();
    // A ping that already outlived a probe's deadline is not joined: it may be stuck on a
    // connection that died in a partition, and would report "down" after the database is back.
    if (this.databasePing === undefined || now - this.databasePing.startedAt >= READINESS_CHECK_DEADLINE_MS) {
      const ping: { startedAt: number; done: Promise<unknown> } = {
        startedAt: now,
        done: this.dataSource.query('SELECT 1').finally(() => {
          if (this.databasePing === ping) this.databasePing = undefined;
        }),
      };
      this.databasePing = ping;
    }
    return this.databasePing.done;
  }
}
