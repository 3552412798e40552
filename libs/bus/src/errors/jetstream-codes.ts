import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { InvalidArgumentError } from '@nats-io/transport-node';
import { isBusError } from './bus-error';

/**
 * The JetStream API error codes the bus acts on, by name: nats.js v3's `JetStreamApiCodes`
 * (stream / consumer not found …) plus the server's codes it does not export (names as in
 * nats-server's `errors.json`).
 */
export const API_CODES = {
  ...JetStreamApiCodes,
  /** JSClusterNotAvailErr: "JetStream system temporarily unavailable" (503). */
  ClusterNotAvailable: 10008,
  /** JSInsufficientResourcesErr. */
  InsufficientResources: 10023,
  /** JSStorageResourcesExceededErr. */
  StorageResourcesExceeded: 10047,
  /** JSStreamMessageExceedsMaximumErr: the message never fits the stream. */
  StreamMessageExceedsMaximum: 10054,
  /** JSStreamNameExistErr: "stream name already in use with a different configuration". */
  StreamNameExists: 10058,
  /** JSConsumerAlreadyExists (2.10+): a lost add race. */
  ConsumerAlreadyExists: 10105,
  /** JSConsumerNameExistErr (2.10+): a lost add race. */
  ConsumerNameExists: 10148,
} as const;

/** Codes after which the same call can succeed: the system is busy, not the request wrong. */
const TRANSIENT = new Set<number>([
  API_CODES.ClusterNotAvailable,
  API_CODES.InsufficientResources,
  API_CODES.StorageResourcesExceeded,
]);

/** The JetStream API code of an error: a `JetStreamApiError`'s, or the one a `BusError` carries. */
export function jetStreamApiCode(error: unknown): number | undefined {
  if (error instanceof JetStreamApiError) return error.code;
  if (isBusError(error)) return error.details.apiCode;
  return undefined;
}

/** Whether a JetStream API code says "try again later". */
export function isTransientApiCode(code: number | undefined): boolean {
  return code !== undefined && TRANSIENT.has(code);
}

/** Whether a JetStream API call failed because the stream does not exist. */
export function isStreamNotFound(error: unknown): boolean {
  return jetStreamApiCode(error) === API_CODES.StreamNotFound;
}

/** Whether a JetStream API call failed because the consumer does not exist. */
export function isConsumerNotFound(error: unknown): boolean {
  return jetStreamApiCode(error) === API_CODES.ConsumerNotFound;
}

/**
 * Whether a message was refused because it is larger than the stream (JetStream's code) or
 * the server (`max_payload`, refused by the client before sending) allows: it never fits.
 * The client's refusal is an `InvalidArgumentError` whose message is its only tell.
 */
export function isMessageTooLarge(error: unknown): boolean {
  if (jetStreamApiCode(error) === API_CODES.StreamMessageExceedsMaximum) return true;
  const cause = isBusError(error) ? error.cause : error;
  return cause instanceof InvalidArgumentError && /max_payload/i.test(cause.message);
}
