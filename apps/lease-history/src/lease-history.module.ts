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
import { LeaseStreamController } from './http/lease-stream.controller';
import { LeasesController } from './http/leases.controller';
import { LeaseMetrics } from './projection/lease-metrics';
import { LeaseProjectionConsumer } from './projection/lease-projection.consumer';
import { LeaseQueryService } from './query/lease-query.service';
import { MIGRATIONS, SCHEMA } from './store/lease-history.schema';

/** The lease-history service: projects lease and completion events per execution into SQL and serves them. */
@Module({})
export class LeaseHistoryModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    const [leases, completions] = [streamName('lease_history'), streamName('completion')];
    return {
      module: LeaseHistoryModule,
      imports: [
        StoreModule.forRoot({
          target: storeTarget(config.databaseUrl, config.dataDir, 'lease-history'),
          schema: SCHEMA,
          migrations: MIGRATIONS,
        }),
        ...serviceImports(config, 'lease-history', {
          streams: [leases, completions, DEADLETTER_STREAM],
          readiness: {
            inject: [Bus, STORE],
            useFactory: (bus: Bus, store: Store<unknown>) => [
              storeReadiness(store),
              consumerReadiness(bus, leases, DURABLES.leaseHistory),
              consumerReadiness(bus, completions, DURABLES.leaseHistory),
            ],
          },
        }),
      ],
      controllers: [
        LeasesController,
        LeaseStreamController,
        deadLettersController('lease-history', [DURABLES.leaseHistory]),
      ],
      providers: [
        {
          provide: LeaseMetrics,
          inject: [METRICS_REGISTRY, Bus],
          useFactory: (registry: Registry, bus: Bus) =>
            new LeaseMetrics(registry, (family) =>
              consumerBacklog(bus, streamName(family), DURABLES.leaseHistory),
            ),
        },
        LeaseQueryService,
        LeaseProjectionConsumer,
      ],
    };
  }
}
