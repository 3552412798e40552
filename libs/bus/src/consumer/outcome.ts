/**
 * What a handler decides for a message (STYLE.md 4). The bus maps it to JetStream:
 * ack -> `ack()`; retry -> `nak(delayMs)`; dead_letter -> publish to
 * `deadletter.<consumer>.<family>`, then `ack()` (DESIGN.md §5: parked, so settled).
 * A thrown error or an erroring Observable is a retry with the consumer's backoff.
 */
export type Outcome =
  | { readonly type: 'ack' }
  | { readonly type: 'retry'; readonly delayMs?: number; readonly reason?: string }
  | {
      readonly type: 'dead_letter';
      readonly reason: string;
      /** What the dead letter says it was parked for (default `handler`). */
      readonly cause?: 'handler' | 'decode_failed' | 'poison';
    };

export const Outcome = {
  ack: (): Outcome => ({ type: 'ack' }),
  retry: (delayMs?: number, reason?: string): Outcome => ({ type: 'retry', delayMs, reason }),
  deadLetter: (reason: string, cause?: 'handler' | 'decode_failed' | 'poison'): Outcome =>
    cause === undefined ? { type: 'dead_letter', reason } : { type: 'dead_letter', reason, cause },
} as const;

/** A batch handler answers one outcome for the whole batch, or one per event (same order). */
export type BatchOutcome = Outcome | readonly Outcome[];
