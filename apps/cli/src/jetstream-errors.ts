import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** Whether a JetStream API call failed because the stream does not exist. */
export function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/** Whether a JetStream API call failed because the consumer does not exist. */
export function isConsumerNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;
}
