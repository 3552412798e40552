import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { loadConfig, type RunlogConfig } from './runlog-config';

/** Injection token of the parsed {@link RunlogConfig}. */
export const RUNLOG_CONFIG = Symbol.for('runlog.config');

/**
 * Validates the environment at start with @nestjs/config (a bad value fails the boot
 * with a message naming the variable) and provides the parsed {@link RunlogConfig}.
 * Tests pass a config of their own instead of the process environment.
 */
@Module({})
export class RunlogConfigModule {
  static forRoot(config?: RunlogConfig): DynamicModule {
    let parsed: RunlogConfig | undefined = config;
    return {
      module: RunlogConfigModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          // Runs at import time: the boot fails here on an invalid variable.
          validate: (env) => {
            parsed ??= loadConfig(env as Record<string, string | undefined>);
            return { ...env, runlog: parsed };
          },
        }),
      ],
      providers: [{ provide: RUNLOG_CONFIG, useFactory: () => parsed ?? loadConfig() }],
      exports: [RUNLOG_CONFIG],
    };
  }
}
