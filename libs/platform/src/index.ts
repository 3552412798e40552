/**
 * What every runlog service is built on: configuration (DESIGN.md §6), logging, health,
 * metrics, the HTTP error shape, and the bootstrap that hosts one or several services.
 */
export * from './config';
export * from './logging';
export * from './health';
export * from './http';
export * from './metrics';
export * from './bootstrap';
export * from './service';
export * from './bus';
export * from './nats-server';
