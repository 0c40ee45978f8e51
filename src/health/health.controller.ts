import { Controller, Get, HttpException, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiExtraModels, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { type HealthIndicatorFunction, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../common/http/public.decorator';
import { ShutdownState } from '../common/lifecycle/shutdown-state';
import { RedisService } from '../redis/redis.service';
import { HealthDto, HealthIndicatorDto, LiveDto } from './dto/health.dto';

@ApiTags('health')
@ApiExtraModels(HealthIndicatorDto)
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisService,
    private readonly shutdown: ShutdownState,
  ) {}

  /** Liveness: the process answers. Restart the container when this fails. */
  @Get('live')
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  /**
   * Readiness: PostgreSQL answers (and Redis, when configured, or it is reported `degraded`);
   * 503 while draining for shutdown, so load balancers stop routing here.
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
    const checks: HealthIndicatorFunction[] = [() => this.db.pingCheck('database', { timeout: 2000 })];
    if (this.redis.enabled) {
      checks.push(async () => {
        const redis = this.indicators.check('redis');
        try {
          await this.redis.ping();
          return redis.up();
        } catch (error) {
          return redis.degraded({ message: error instanceof Error ? error.message : 'unavailable' });
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
}
