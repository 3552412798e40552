import { type DynamicModule, Module } from '@nestjs/common';
import { streamName } from '@runlog/contracts';
import { type RunlogConfig, serviceImports } from '@runlog/platform';

/** The lease-history service: projects lease and completion events per execution into SQL and serves them. */
@Module({})
export class LeaseHistoryModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    return {
      module: LeaseHistoryModule,
      imports: serviceImports(config, 'lease-history', {
        streams: [streamName('lease_history'), streamName('completion')],
      }),
    };
  }
}
