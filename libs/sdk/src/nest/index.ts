// @runlog/sdk/nest: the NestJS wrapper of the producer SDK (a separate entry point, so
// that services without NestJS never load it).
export {
  RunlogSinkModule,
  EVENT_SINK,
  InjectEventSink,
  type RunlogSinkModuleOptions,
  type RunlogSinkModuleAsyncOptions,
} from './runlog-sink.module';
