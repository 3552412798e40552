import { type ServiceDefinition } from '@runlog/platform';
import { LeaseHistoryModule } from './lease-history.module';

export const leaseHistoryService: ServiceDefinition = {
  name: 'lease-history',
  module: (config) => LeaseHistoryModule.forRoot(config),
  port: (config) => config.ports.leaseHistory,
  openapi: {
    description:
      'Per-execution lease state, history and a live SSE tail, projected from lease_history and completion events (DESIGN.md §4).',
  },
};
