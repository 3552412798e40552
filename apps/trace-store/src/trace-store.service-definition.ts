import { type ServiceDefinition } from '@runlog/platform';
import { TraceStoreModule } from './trace-store.module';

export const traceStoreService: ServiceDefinition = {
  name: 'trace-store',
  module: (config) => TraceStoreModule.forRoot(config),
  port: (config) => config.ports.traceStore,
};
