import { type DynamicModule } from '@nestjs/common';
import { Bus, BusModule, PromBusMetrics } from '@runlog/bus';
import { type Registry } from 'prom-client';
import { busOptionsFromConfig } from '../bus/bus-config';
import { natsReadiness, streamsReadiness } from '../bus/bus-readiness';
import { RunlogConfigModule } from '../config/runlog-config.module';
import { type RunlogConfig } from '../config/runlog-config';
import { HealthModule } from '../health/health.module';
import { type ReadinessCheck } from '../health/readiness';
import { LoggingModule } from '../logging/logging.module';
import { METRICS_REGISTRY, MetricsModule } from '../metrics/metrics.module';

export interface ServiceImportsOptions {
  /** The streams the service reads or writes: ready only when they all exist. */
  readonly streams: readonly string[];
  /** More readiness checks (a store, consumers), built from injected dependencies. */
  readonly readiness?: { inject: unknown[]; useFactory: (...deps: never[]) => ReadinessCheck[] };
}

/**
 * The modules every runlog service imports: validated config, logging, the bus (connected
 * and provisioned at start, drained at shutdown), /metrics and /health.
 */
export function serviceImports(
  config: RunlogConfig,
  service: string,
  options: ServiceImportsOptions,
): DynamicModule[] {
  const extra = options.readiness;
  return [
    RunlogConfigModule.forRoot(config),
    LoggingModule.forRoot(config, service),
    BusModule.forRootAsync({
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) => ({
        ...busOptionsFromConfig(config, service),
        metrics: new PromBusMetrics(registry),
      }),
    }),
    { module: MetricsModule },
    HealthModule.forRoot({
      inject: [Bus, ...(extra?.inject ?? [])],
      useFactory: (...deps: unknown[]) => {
        const [bus, ...rest] = deps as [Bus, ...never[]];
        return [
          natsReadiness(bus),
          streamsReadiness(bus, options.streams),
          ...(extra ? extra.useFactory(...rest) : []),
        ];
      },
    }),
  ];
}
