import { Global, Module } from '@nestjs/common';
import { MetricsServer } from './metrics-server';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics. MetricsService is global so any module can count what it does; the scrape
 * endpoint is `/metrics` on the main port (MetricsEndpointModule in health/), or on METRICS_PORT
 * when set (MetricsServer), or absent (404) when METRICS_ENABLED=false.
 */
@Global()
@Module({
  providers: [MetricsService, MetricsServer],
  exports: [MetricsService],
})
export class MetricsModule {}
