import { type ServiceDefinition } from '@runlog/platform';
import { TraceStoreModule } from './trace-store.module';

export const traceStoreService: ServiceDefinition = {
  name: 'trace-store',
  module: (config) => TraceStoreModule.forRoot(config),
  port: (config) => config.ports.traceStore,
  openapi: {
    description:
      'Workflow traces projected from the trace family: events, trees, LLM usage and search (DESIGN.md §4).',
  },
};
