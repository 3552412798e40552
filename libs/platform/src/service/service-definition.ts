import { type DynamicModule } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type RunlogConfig } from '../config/runlog-config';

/** How to build and where to serve one runlog service; `runServices` hosts one or several. */
export interface ServiceDefinition {
  readonly name: 'ingest' | 'normalizer' | 'lease-history' | 'trace-store';
  module(config: RunlogConfig): DynamicModule;
  port(config: RunlogConfig): number;
  bodyLimit?(config: RunlogConfig): number;
  /** Adjusts the app before it listens (content-type parsers, say). */
  configure?(app: NestFastifyApplication, config: RunlogConfig): void;
}
