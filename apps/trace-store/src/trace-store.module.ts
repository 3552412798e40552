import { type DynamicModule, Module } from '@nestjs/common';
import { streamName } from '@runlog/contracts';
import { type RunlogConfig, serviceImports } from '@runlog/platform';

/** The trace-store service: stores workflow trace events and serves traces, trees, usage and search. */
@Module({})
export class TraceStoreModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    return {
      module: TraceStoreModule,
      imports: serviceImports(config, 'trace-store', { streams: [streamName('trace')] }),
    };
  }
}
