// @runlog/bus/core: the framework-free JetStream bus (connection, provisioning, publisher,
// consumer runtime, dead letters, replay, the error classifier). Nothing here imports
// NestJS, so the SDK and the CLI load it without the framework; @runlog/bus adds the
// NestJS module and transport on top (libs/bus/src/nest/).
export { Bus, type RunningConsumer } from './bus';
export type { BusOptions, BusCredentials } from './bus-options';
export {
  type BusLogger,
  type BusLoggerFactory,
  CONSOLE_BUS_LOGGER,
  NOOP_BUS_LOGGER,
} from './logging/bus-logger';
export { BusError, isBusError, type BusErrorCode } from './errors/bus-error';
export { classifyBusError } from './errors/classify';
export {
  API_CODES,
  jetStreamApiCode,
  isTransientApiCode,
  isStreamNotFound,
  isConsumerNotFound,
  isMessageTooLarge,
} from './errors/jetstream-codes';
export {
  Publisher,
  type PublishResult,
  type PublishManyResult,
  type PublisherOptions,
} from './publisher/publisher';
export { PubAckInbox, publishError } from './publisher/pub-acks';
export { liveSubject } from './publisher/live';
export { DEFAULT_ACK_WAIT_MS } from './consumer/consumer-spec';
export { PULL_EXPIRES_MS } from './consumer/durable-consumer';
export type {
  ConsumerOptions,
  ConsumerTuning,
  ConsumerSpec,
  EventHandler,
  BatchHandler,
  HandlerBinding,
  ErrorClass,
  RawMessage,
  RawBatchHandler,
  RawConsumerSpec,
} from './consumer/consumer-spec';
export { EventContext, BatchContext } from './consumer/context';
export { Outcome, type BatchOutcome } from './consumer/outcome';
export type { Gap, GapHook } from './consumer/gap';
export {
  DeadLetters,
  redriveDurable,
  rawRedriveDurable,
  redriveSubject,
  type ListDeadLettersOptions,
  type ReplayOptions,
} from './dead-letter/dead-letters';
export {
  publishDeadLetter,
  type DeadLetterRequest,
  type Origin,
} from './dead-letter/dead-letter-writer';
export {
  DEAD_LETTER_HEADERS,
  type DeadLetter,
  type DeadLetterCause,
} from './dead-letter/dead-letter-format';
export { subscribe, parseCursor, type SubscribeOptions, type TailItem } from './replay/subscribe';
export { type BusMetrics, NOOP_BUS_METRICS } from './metrics/bus-metrics';
export { PromBusMetrics } from './metrics/prom-bus-metrics';
export { ensureStream, ensureConsumer, type DurableConsumerConfig } from './provisioning/provision';
export {
  familyStreamConfig,
  ingestStreamConfig,
  deadLetterStreamConfig,
  DUPLICATE_WINDOW_MS,
} from './provisioning/stream-configs';
