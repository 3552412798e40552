// What one answer from runlog means for the event it is about: acknowledged, sent again
// (at once, or after a backoff), or given up on. Owns how many error answers an event
// gets before the sink drops it.
import { type DroppedEvent } from '../types';
import { type Entry } from './entry';
import { type Outcome } from './transport';

/** Error answers an event gets before it is dropped as `rejected`. */
export const MAX_REFUSALS = 5;

export type Verdict =
  | { readonly kind: 'acked'; readonly duplicate: boolean }
  /** Stays for the next send; `transient` is the failure to back off from, if any. */
  | { readonly kind: 'kept'; readonly transient?: string }
  | {
      readonly kind: 'dropped';
      readonly errors: DroppedEvent['errors'];
      readonly message: string;
    };

/**
 * The verdict on one sent entry (no outcome: the transport gave no answer for it). A
 * `refused` answer is counted on the entry.
 */
export function verdictOn(entry: Entry, outcome: Outcome | undefined): Verdict {
  const answer: Outcome = outcome ?? { kind: 'retry', message: 'no answer for this event' };
  switch (answer.kind) {
    case 'acked':
      return { kind: 'acked', duplicate: answer.duplicate };
    case 'again':
      return { kind: 'kept' };
    case 'retry':
      return { kind: 'kept', transient: answer.message };
    case 'refused':
      if (++entry.refusals < MAX_REFUSALS) return { kind: 'kept', transient: answer.message };
      return {
        kind: 'dropped',
        errors: [],
        message: `refused ${MAX_REFUSALS} times: ${answer.message}`,
      };
    case 'rejected':
      return { kind: 'dropped', errors: answer.errors, message: answer.message };
  }
}
