/**
 * The dead-letter message format, shared by the consumer runtime (writer) and the
 * dead-letter admin (reader). A dead letter is published to
 * `deadletter.<consumer>.<family>` in stream RUNLOG_DEADLETTER with:
 * - body: the original message body, byte for byte (or its start, marked truncated);
 * - the original headers, each kept under its own name (so `Nats-Msg-Id` is NOT
 *   forwarded as is: it is moved to `Runlog-Dl-Msg-Id`, because a dead letter must not be
 *   deduplicated against the original id), plus the headers below.
 */
export const DEAD_LETTER_HEADERS = {
  /** Why it was dead-lettered (decode errors as JSON, the handler's reason, or "max_deliver reached: <last error>"). */
  reason: 'Runlog-Dl-Reason',
  /** Machine-readable class: `decode_failed` | `handler` | `max_deliver` | `poison`. */
  cause: 'Runlog-Dl-Cause',
  /** The stream the original came from. */
  stream: 'Runlog-Dl-Stream',
  /** The original stream sequence (the cursor). */
  sequence: 'Runlog-Dl-Seq',
  /** The original subject (where a replay republishes it). */
  subject: 'Runlog-Dl-Subject',
  /** The durable consumer that gave up. */
  consumer: 'Runlog-Dl-Consumer',
  /** How many deliveries were attempted. */
  deliveries: 'Runlog-Dl-Deliveries',
  /** The original `Nats-Msg-Id`, if any (a replay restores it only with a suffix; see DeadLetters.replay). */
  msgId: 'Runlog-Dl-Msg-Id',
  /** When it was dead-lettered (RFC 3339). */
  at: 'Runlog-Dl-At',
  /**
   * `true` when the body is only the start of the original: the original plus the
   * dead-letter headers would exceed the server's max_payload. Fetch the original by
   * `Runlog-Dl-Stream` and `Runlog-Dl-Seq` while retention keeps it.
   */
  truncated: 'Runlog-Dl-Truncated',
  /** The original body's size in bytes (set with `Runlog-Dl-Truncated`). */
  originalSize: 'Runlog-Dl-Original-Size',
} as const;

/**
 * `poison`: the handler failed on this event alone, with an error its consumer classifies
 * as the store refusing the data (isolated from its batch, parked on its first failure).
 */
export type DeadLetterCause = 'decode_failed' | 'handler' | 'max_deliver' | 'poison';

/** A dead letter as the admin API returns it. */
export interface DeadLetter {
  /** Sequence of the dead letter itself in RUNLOG_DEADLETTER. */
  readonly deadLetterSeq: number;
  readonly consumer: string;
  readonly family: string;
  readonly cause: DeadLetterCause;
  readonly reason: string;
  readonly originalStream: string;
  readonly originalSeq: number;
  readonly originalSubject: string;
  readonly deliveries: number;
  readonly at: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body parked; only the start of the original when `truncated`. */
  readonly body: Uint8Array;
  /** The body was cut to fit max_payload: the original is at originalStream#originalSeq. */
  readonly truncated: boolean;
  /** The original body's size in bytes. */
  readonly originalSize: number;
}
