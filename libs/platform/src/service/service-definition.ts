import { type DynamicModule } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type OpenApiOptions } from '../bootstrap/openapi';
import { type RunlogConfig } from '../config/runlog-config';
import { type SecondListener } from './second-listener';

/** How to build and where to serve one runlog service; `runServices` hosts one or several. */
export interface ServiceDefinition {
  readonly name: 'ingest' | 'normalizer' | 'lease-history' | 'trace-store' | 'console';
  module(config: RunlogConfig): DynamicModule;
  port(config: RunlogConfig): number;
  bodyLimit?(config: RunlogConfig): number;
  /** JSON bodies keep `__proto__`/`constructor` keys for its validator to refuse by path. */
  readonly keepPrototypeKeys?: boolean;
  /**
   * Its OpenAPI document at `GET /docs-json` (Swagger UI at `GET /docs`); the title
   * defaults to `runlog <name>`.
   */
  readonly openapi?: Partial<OpenApiOptions>;
  /** A second port serving only some of its routes (D42). */
  readonly secondListener?: SecondListener;
  /** Adjusts the app before it listens (content-type parsers, say). */
  configure?(app: NestFastifyApplication, config: RunlogConfig): void;
}
