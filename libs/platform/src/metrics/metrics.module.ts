import { Controller, Get, Global, Header, Inject, Module } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { RequireScope } from '../http/auth';

/** The service's own prom-client registry (one per app, so four apps share a process cleanly). */
export const METRICS_REGISTRY = Symbol.for('runlog.metrics-registry');

@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  /** Prometheus text exposition (DESIGN.md §4). */
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics' })
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @RequireScope('metrics')
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

/** `GET /metrics` with process metrics (prefixed `runlog_`) and whatever the service registers. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: METRICS_REGISTRY,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry, prefix: 'runlog_' });
        return registry;
      },
    },
  ],
  exports: [METRICS_REGISTRY],
})
export class MetricsModule {}
