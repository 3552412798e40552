/**
 * Stable codes of the bus's infrastructure errors (STYLE.md 6). They survive
 * serialization; HTTP layers map them to statuses in one place.
 */
export type BusErrorCode =
  /** No stream captures the subject (JetStream answers "no responders" / 503). */
  | 'no_stream'
  /** The server did not answer in time; the publish may or may not have landed (retry is safe: msgID dedupes). */
  | 'timeout'
  /** The server answered with an error (its JetStream code is in `apiCode`). */
  | 'refused'
  /** The connection is closed or draining. */
  | 'connection_closed'
  /** A provisioning conflict that "info, then add or update" could not resolve. */
  | 'provisioning_failed';

/** The one error base of the bus, with a stable `code` and, when the server gave one, its API code. */
export class BusError extends Error {
  override readonly name = 'BusError';
  constructor(
    readonly code: BusErrorCode,
    message: string,
    readonly details: {
      readonly apiCode?: number;
      readonly subject?: string;
      readonly stream?: string;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether retrying the same operation can succeed (timeouts and missing responders only). */
  get retryable(): boolean {
    return this.code === 'timeout' || this.code === 'no_stream';
  }
}

export function isBusError(error: unknown, code?: BusErrorCode): error is BusError {
  return error instanceof BusError && (code === undefined || error.code === code);
}
