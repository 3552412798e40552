/**
 * The dead-letter message format, shared by the consumer runtime (writer) and the
 * dead-letter admin (reader). A dead letter is published to
 * `deadletter.<consumer>.<family>` in stream RUNLOG_DEADLETTER with:
 * - body: the original message body, byte for byte;
 * - the original headers, each kept under its own name (so `Nats-Msg-Id` is NOT
 *   forwarded as is: it is moved to `Runlog-Dl-Msg-Id`, because a dead letter must not be
 *   deduplicated against the original id), plus the headers below.
 */
export const DEAD_LETTER_HEADERS = {
  /** Why it was dead-lettered (decode errors as JSON, the handler's reason, or "max_deliver reached: <last error>"). */
  reason: 'Runlog-Dl-Reason',
  /** Machine-readable class: `decode_failed` | `handler` | `max_deliver`. */
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
} as const;

export type DeadLetterCause = 'decode_failed' | 'handler' | 'max_deliver';

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
  readonly body: Uint8Array;
}
