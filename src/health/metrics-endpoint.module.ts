import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { MetricsController } from './metrics.controller';

/**
 * The scrape endpoint `/metrics` on the main port, when METRICS_ENABLED and METRICS_PORT is unset
 * (MetricsServer serves METRICS_PORT). It sits here, not in metrics/, because it is a public route
 * (`@Public()` from common/), and metrics/ is a layer below common/.
 */
@Module({})
export class MetricsEndpointModule {
  static forRoot(config: AppConfig): DynamicModule {
    const onMainPort = config.metricsEnabled && config.metricsPort === undefined;
    return { module: MetricsEndpointModule, controllers: onMainPort ? [MetricsController] : [] };
  }
}
