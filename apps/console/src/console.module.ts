import { type DynamicModule, Module } from '@nestjs/common';
import {
  HealthModule,
  LoggingModule,
  MetricsModule,
  type ReadinessCheck,
  RunlogConfigModule,
  type RunlogConfig,
} from '@runlog/platform';
import { CONSOLE_UPSTREAMS } from './proxy/service-proxy';

/** Ready when a service the console shows answers its liveness probe. */
function upstreamReadiness(name: string, origin: string): ReadinessCheck {
  return {
    name,
    check: async () => {
      const response = await fetch(`${origin}/health/live`, { signal: AbortSignal.timeout(3_000) });
      if (!response.ok) throw new Error(`${name} answered ${response.status}`);
      return { url: origin };
    },
  };
}

/**
 * The console's server: config, logs, `/metrics`, `/health`. No NATS and no store: it
 * reads everything through the services' HTTP APIs.
 */
@Module({})
export class ConsoleModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    return {
      module: ConsoleModule,
      imports: [
        RunlogConfigModule.forRoot(config),
        LoggingModule.forRoot(config, 'console'),
        { module: MetricsModule },
        HealthModule.forRoot({
          useFactory: () =>
            CONSOLE_UPSTREAMS.map((upstream) =>
              upstreamReadiness(upstream.name, upstream.origin(config)),
            ),
        }),
      ],
    };
  }
}
