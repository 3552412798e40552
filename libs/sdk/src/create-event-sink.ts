import { HttpEventSink, type HttpEventSinkOptions } from './http/http-event-sink';
import { NatsEventSink, type NatsEventSinkOptions } from './nats/nats-event-sink';
import { NoopEventSink } from './sinks/noop-event-sink';
import { type EventSink } from './types';

/** Which sink to build: NATS, HTTP, one you made, or none (the no-op degraded mode). */
export type EventSinkConfig =
  | { readonly nats: NatsEventSinkOptions }
  | { readonly http: HttpEventSinkOptions }
  | { readonly sink: EventSink }
  | Record<string, never>;

/**
 * The sink a configuration names: a {@link NatsEventSink}, an {@link HttpEventSink}, the
 * given one, or a {@link NoopEventSink} when nothing is configured. Never blocks and never
 * connects synchronously.
 */
export function createEventSink(config: EventSinkConfig = {}): EventSink {
  if ('nats' in config && config.nats) return new NatsEventSink(config.nats);
  if ('http' in config && config.http) return new HttpEventSink(config.http);
  if ('sink' in config && config.sink) return config.sink;
  return new NoopEventSink();
}
