import { type ServiceDefinition } from '@runlog/platform';
import { NormalizerModule } from './normalizer.module';

export const normalizerService: ServiceDefinition = {
  name: 'normalizer',
  module: (config) => NormalizerModule.forRoot(config),
  port: (config) => config.ports.normalizer,
};
