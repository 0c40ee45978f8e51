import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtStrategy } from './jwt.strategy';
import { LoginFailureLimitInterceptor } from './rate-limit/login-failure-limit.interceptor';
import { createThrottlerOptions } from './rate-limit/rate-limit.options';
import { RateLimitStorageModule } from './rate-limit/rate-limit-storage.module';
import { RedisThrottlerStorage } from './rate-limit/redis-throttler.storage';
import { SessionsModule } from '../sessions/sessions.module';

/**
 * Authentication: the auth routes, the Passport strategy behind the global JwtAuthGuard, and
 * the rate limiter's configuration (the guards themselves are registered in AppModule, in order).
 */
@Module({
  imports: [
    UsersModule,
    SessionsModule,
    RateLimitStorageModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RedisThrottlerStorage],
      useFactory: (config: AppConfig, storage: RedisThrottlerStorage) => createThrottlerOptions(config, storage),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, JwtStrategy, LoginFailureLimitInterceptor],
  // JwtStrategy is for the global JwtAuthGuard, which AppModule registers.
  exports: [JwtStrategy],
})
export class AuthModule {}
