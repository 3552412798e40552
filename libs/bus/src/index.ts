// The public surface of @runlog/bus: the JetStream bus library and its NestJS transport.
export * from './core';
export { BusModule, type BusModuleAsyncOptions } from './nest/bus.module';
export { NEST_BUS_LOGGER } from './nest/nest-bus-logger';
export { JetStreamServer } from './nest/jetstream.server';
export {
  JetStreamHandler,
  jetStreamPattern,
  type JetStreamHandlerOptions,
} from './nest/jetstream-handler.decorator';
