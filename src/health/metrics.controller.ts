import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { NotRateLimited } from '../common/auth/auth-rate-limit.decorator';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth/public.decorator';
import { MetricsService } from '../metrics/metrics.service';

/**
 * Prometheus scrape endpoint on the main port (when METRICS_PORT is unset). Public: keep it
 * off the internet at the proxy, or move it to METRICS_PORT, which is never exposed publicly.
 */
@ApiTags('metrics')
@Public()
@NotRateLimited()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * Prometheus metrics in the text exposition format (version 0.0.4)
   *
   * @remarks
   * Request latency by route template, database pool, cache hits and misses, rate-limit
   * rejections, failed logins and the Node process. Public and never rate-limited: keep it off the
   * internet at the proxy, or serve it on METRICS_PORT instead.
   */
  @Get()
  @Header('cache-control', 'no-store')
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Request latency histogram, database pool, cache, rate-limit and login counters, Node process metrics',
    content: {
      'text/plain': { schema: { type: 'string', example: 'http_request_duration_seconds_count{method="GET",route="/health/live",status_code="200"} 3' } },
    },
  })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.header('content-type', this.metrics.contentType);
    return this.metrics.render();
  }
}
