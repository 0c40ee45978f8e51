import { type DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import type { AppConfig } from './config/app-config';
import { CacheModule } from './common/cache/cache.module';
import { HttpCacheHeadersInterceptor } from './common/http/http-cache-headers.interceptor';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions } from './database/database';
import { HealthModule } from './health/health.module';
import { RedisModule } from './redis/redis.module';

export interface AppModuleOptions {
  config: AppConfig;
  /** The resolved database: the configured server, or the embedded one started before Nest. */
  databaseUrl: string;
  logger: PinoLogger;
}

@Module({})
export class AppModule {
  static register({ config, databaseUrl, logger }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            autoLogging: false,
            quietReqLogger: true,
            genReqId: (request) => String(request.id),
          },
        }),
        TypeOrmModule.forRoot(dataSourceOptions(config, databaseUrl)),
        RedisModule,
        CacheModule,
        HealthModule,
      ],
      providers: [{ provide: APP_INTERCEPTOR, useClass: HttpCacheHeadersInterceptor }],
    };
  }
}
