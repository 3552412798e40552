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
import { type Registry } from 'prom-client';
import { NormalizerConsumer } from './consumer/normalizer.consumer';
import { NormalizerMetrics } from './consumer/normalizer-metrics';

/** The normalizer service: turns raw agent runtime events into canonical facts. */
@Module({})
export class NormalizerModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    const agent = streamName('agent');
    return {
      module: NormalizerModule,
      imports: serviceImports(config, 'normalizer', {
        streams: [agent, streamName('canonical'), DEADLETTER_STREAM],
        readiness: {
          inject: [Bus],
          useFactory: (bus: Bus) => [consumerReadiness(bus, agent, DURABLES.normalizer)],
        },
      }),
      controllers: [deadLettersController('normalizer', [DURABLES.normalizer])],
      providers: [
        {
          provide: NormalizerMetrics,
          inject: [METRICS_REGISTRY, Bus],
          useFactory: (registry: Registry, bus: Bus) =>
            new NormalizerMetrics(registry, config.normalizerDurability, () =>
              consumerBacklog(bus, agent, DURABLES.normalizer),
            ),
        },
        NormalizerConsumer,
      ],
    };
  }
}
