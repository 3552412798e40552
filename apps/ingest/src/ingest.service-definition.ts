import { type ServiceDefinition } from '@runlog/platform';
import { IngestModule } from './ingest.module';

export const ingestService: ServiceDefinition = {
  name: 'ingest',
  module: (config) => IngestModule.forRoot(config),
  port: (config) => config.ports.ingest,
  bodyLimit: (config) => config.ingest.maxBodyBytes,
};
