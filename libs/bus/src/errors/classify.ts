import { JetStreamApiError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { type ErrorClass } from '../consumer/consumer-spec';
import { isBusError } from './bus-error';
import { isTransientApiCode } from './jetstream-codes';

/**
 * `classifyError` for a handler whose store is NATS itself (the normalizer: its KV run
 * state and its canonical publishes): NATS away, a timeout, no responders (a stream's
 * leader being elected), a connection closing or JetStream answering 503 are `transient`
 * (retried past max_deliver, nothing parked); everything else is `unknown` (max_deliver
 * decides). The cause chain is followed a few levels.
 */
export function classifyBusError(error: unknown): ErrorClass {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (isBusError(current)) {
      if (current.retryable || current.code === 'connection_closed') return 'transient';
      if (isTransientApiCode(current.details.apiCode)) return 'transient';
    } else if (
      current instanceof TimeoutError ||
      current instanceof NoRespondersError ||
      current instanceof ClosedConnectionError ||
      current instanceof DrainingConnectionError ||
      current instanceof ConnectionError
    ) {
      return 'transient';
    } else if (current instanceof JetStreamApiError) {
      if (current.status === 503 || isTransientApiCode(current.code)) return 'transient';
    } else if (current instanceof RequestError && current.isNoResponders()) {
      return 'transient';
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return 'unknown';
}
