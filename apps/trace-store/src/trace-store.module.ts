import { type DynamicModule, Module } from '@nestjs/common';
import { Bus } from '@runlog/bus';
import { DEADLETTER_STREAM, DURABLES, streamName } from '@runlog/contracts';
import {
  consumerBacklog,
  consumerReadiness,
  METRICS_REGISTRY,
  type RunlogConfig,
  serviceImports,
  deadLettersController,
} from '@runlog/platform';
import { STORE, type Store, storeReadiness, StoreModule, storeTarget } from '@runlog/store';
import { type Registry } from 'prom-client';
import { TracesController } from './http/traces.controller';
import { TraceMetrics } from './projection/trace-metrics';
import { TraceProjectionConsumer } from './projection/trace-projection.consumer';
import { TRACE_READ_LIMITS, TraceQueryService, traceReadLimits } from './query/trace-query.service';
import { MIGRATIONS, SCHEMA } from './store/trace-store.schema';

/** The trace-store service: stores workflow trace events, rebuilds trees, rolls up usage, serves search. */
@Module({})
export class TraceStoreModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    const traces = streamName('trace');
    return {
      module: TraceStoreModule,
      imports: [
        StoreModule.forRoot({
          target: storeTarget(config.databaseUrl, config.dataDir, 'trace-store'),
          schema: SCHEMA,
          migrations: MIGRATIONS,
        }),
        ...serviceImports(config, 'trace-store', {
          streams: [traces, DEADLETTER_STREAM],
          readiness: {
            inject: [Bus, STORE],
            useFactory: (bus: Bus, store: Store<unknown>) => [
              storeReadiness(store),
              consumerReadiness(bus, traces, DURABLES.traceStore),
            ],
          },
        }),
      ],
      controllers: [TracesController, deadLettersController('trace-store', [DURABLES.traceStore])],
      providers: [
        {
          provide: TraceMetrics,
          inject: [METRICS_REGISTRY, Bus],
          useFactory: (registry: Registry, bus: Bus) =>
            new TraceMetrics(registry, () => consumerBacklog(bus, traces, DURABLES.traceStore)),
        },
        { provide: TRACE_READ_LIMITS, useValue: traceReadLimits(config.traces.treeMaxNodes) },
        TraceQueryService,
        TraceProjectionConsumer,
      ],
    };
  }
}
