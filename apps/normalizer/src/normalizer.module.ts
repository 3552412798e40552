import { type DynamicModule, Module } from '@nestjs/common';
import { DEADLETTER_STREAM, streamName } from '@runlog/contracts';
import { type RunlogConfig, serviceImports } from '@runlog/platform';
import { NormalizerConsumer } from './consumer/normalizer.consumer';

/** The normalizer service: turns raw agent runtime events into canonical facts. */
@Module({})
export class NormalizerModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    return {
      module: NormalizerModule,
      imports: serviceImports(config, 'normalizer', {
        streams: [streamName('agent'), streamName('canonical'), DEADLETTER_STREAM],
      }),
      providers: [NormalizerConsumer],
    };
  }
}
