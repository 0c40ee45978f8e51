import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { migrations } from '../migrations';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/guards/jwt-auth.guard';
import { RolesGuard } from './auth/guards/roles.guard';
import { VerifiedEmailGuard } from './auth/guards/verified-email.guard';
import { RateLimitGuard } from './auth/rate-limit/rate-limit.guard';
import type { AppConfig } from './config/app-config';
import { CacheModule } from './common/cache/cache.module';
import { HttpCachingInterceptor } from './common/cache/http-caching.interceptor';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions } from './database/database';
import { HealthModule } from './health/health.module';
import { MetricsEndpointModule } from './health/metrics-endpoint.module';
import { MetricsModule } from './metrics/metrics.module';
import { OutboxWorkerModule } from './outbox/outbox-worker.module';
import { RedisModule } from './redis/redis.module';
import { TasksModule } from './tasks/tasks.module';
import { UsersModule } from './users/users.module';

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
        // Each feature module registers its entities (TypeOrmModule.forFeature) and the migrations are
        // wired here: database/ names no feature (one migration uses users' canonicalEmail).
        TypeOrmModule.forRoot({ ...dataSourceOptions(config, databaseUrl), migrations, autoLoadEntities: true }),
        RedisModule,
        CacheModule,
        HealthModule,
        AuthModule,
        UsersModule,
        TasksModule,
        MetricsModule,
        OutboxWorkerModule,
        MetricsEndpointModule.forRoot(config),
      ],
      providers: [
        // Guards run in this order: authenticate (the one token verification of a request), count
        // the request by the user it named or else by address, then refuse a failed
        // authentication or a missing role, then (when configured) a write by an unverified account.
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_GUARD, useClass: VerifiedEmailGuard },
        { provide: APP_INTERCEPTOR, useClass: HttpCachingInterceptor },
      ],
    };
  }
}
