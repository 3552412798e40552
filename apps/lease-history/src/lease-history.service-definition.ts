import { type ServiceDefinition } from '@runlog/platform';
import { LeaseHistoryModule } from './lease-history.module';

export const leaseHistoryService: ServiceDefinition = {
  name: 'lease-history',
  module: (config) => LeaseHistoryModule.forRoot(config),
  port: (config) => config.ports.leaseHistory,
};
