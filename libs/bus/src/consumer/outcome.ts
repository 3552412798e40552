/**
 * What a handler decides for a message (STYLE.md 4). The bus maps it to JetStream:
 * ack -> `ack()`; retry -> `nak(delayMs)`; dead_letter -> publish to
 * `deadletter.<consumer>.<family>`, then `ack()` (DESIGN.md §5: parked, so settled).
 * A thrown error or an erroring Observable is a retry with the consumer's backoff.
 */
export type Outcome =
  | { readonly type: 'ack' }
  | { readonly type: 'retry'; readonly delayMs?: number; readonly reason?: string }
  | { readonly type: 'dead_letter'; readonly reason: string };

export const Outcome = {
  ack: (): Outcome => ({ type: 'ack' }),
  retry: (delayMs?: number, reason?: string): Outcome => ({ type: 'retry', delayMs, reason }),
  deadLetter: (reason: string): Outcome => ({ type: 'dead_letter', reason }),
} as const;

/** A batch handler answers one outcome for the whole batch, or one per event (same order). */
export type BatchOutcome = Outcome | readonly Outcome[];
