import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ShutdownState } from '../common/lifecycle/shutdown-state';
import { AppConfig } from './app-config';

/** Makes the validated AppConfig (and process-wide state) injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }, ShutdownState],
      exports: [AppConfig, ShutdownState],
    };
  }
}
