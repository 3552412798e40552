// The public surface of @runlog/sdk: the producer SDK, usable from any Node service
// (no NestJS here; the Nest module is `@runlog/sdk/nest`).
export type {
  EventSink,
  FlushResult,
  DropReason,
  DroppedEvent,
  DropCounts,
  SinkProblem,
  SinkStats,
  SinkOptions,
} from './types';
export type {
  AnyEventInput,
  EventInput,
  EventOptions,
  InputData,
  ProducerFamily,
} from './events/event-input';
export {
  build,
  events,
  PRODUCER_FAMILIES,
  type EventBuilders,
  type FamilyBuilders,
} from './events/builders';
export { NatsEventSink, type NatsEventSinkOptions } from './nats/nats-event-sink';
export { type NatsSinkMode } from './nats/nats-transport';
export { HttpEventSink, type HttpEventSinkOptions } from './http/http-event-sink';
export { NoopEventSink } from './sinks/noop-event-sink';
export { InMemoryEventSink, type InMemorySinkOptions } from './sinks/in-memory-event-sink';
export { createEventSink, type EventSinkConfig } from './create-event-sink';
export { DEFAULT_MAX_EVENT_BYTES } from './core/buffered-sink';
export { type SinkMetrics, NOOP_SINK_METRICS } from './metrics/sink-metrics';
export { PromSinkMetrics } from './metrics/prom-sink-metrics';
