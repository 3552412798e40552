import { type DynamicModule } from '@nestjs/common';
import { type RunlogConfig } from '../config/runlog-config';

/** How to build and where to serve one runlog service; `runServices` hosts one or several. */
export interface ServiceDefinition {
  readonly name: 'ingest' | 'normalizer' | 'lease-history' | 'trace-store';
  module(config: RunlogConfig): DynamicModule;
  port(config: RunlogConfig): number;
  bodyLimit?(config: RunlogConfig): number;
}
