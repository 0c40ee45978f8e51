import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics. MetricsService is global so any module can count what it does; the scrape
 * endpoint is `/metrics` on the main port, or on METRICS_PORT when set, or absent (404) when
 * METRICS_ENABLED=false.
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const onMainPort = config.metricsEnabled && config.metricsPort === undefined;
    return {
      module: MetricsModule,
      controllers: onMainPort ? [MetricsController] : [],
      providers: [MetricsService, MetricsServer],
      exports: [MetricsService],
    };
  }
}
