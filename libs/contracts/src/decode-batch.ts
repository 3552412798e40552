import { decode, encodeBytes } from './decode';
import { type RunlogEvent } from './events';
import { err, ok, type Result } from './result';
import { type ValidationError } from './validation-error';

/** One input of a batch that failed, by its index, with every failing path. */
export interface RejectedEvent {
  readonly index: number;
  /** The input's `id` when it has a string one. */
  readonly id: string | null;
  readonly errors: readonly ValidationError[];
}

export interface DecodeBatchOptions {
  /** The `time` of events that carry none. */
  readonly receivedAt?: Date;
  /** The largest encoded event one NATS message can carry; unchecked when absent. */
  readonly maxEventBytes?: number;
}

/**
 * Decodes a batch all or nothing (DESIGN.md §4, `POST /v1/events`): the typed events, or
 * every invalid input by index with each failing path. An event too large for one NATS
 * message is invalid too (`too_large`), so nothing is half-written.
 */
export function decodeBatch(
  inputs: readonly unknown[],
  { receivedAt = new Date(), maxEventBytes }: DecodeBatchOptions = {},
): Result<RunlogEvent[], RejectedEvent[]> {
  const events: RunlogEvent[] = [];
  const rejected: RejectedEvent[] = [];
  inputs.forEach((input, index) => {
    const result = decode(input, { receivedAt });
    if (!result.ok) {
      rejected.push({ index, id: idOf(input), errors: result.errors });
      return;
    }
    if (maxEventBytes !== undefined) {
      // Remembered: the publisher sends these bytes next instead of serializing again.
      const size = encodeBytes(result.value, { remember: true }).byteLength;
      if (size > maxEventBytes) {
        rejected.push({
          index,
          id: result.value.id,
          errors: [
            {
              path: '',
              code: 'too_large',
              message: `the event is ${size} bytes encoded; at most ${maxEventBytes} fit in one NATS message`,
            },
          ],
        });
        return;
      }
    }
    events.push(result.value);
  });
  return rejected.length > 0 ? err(rejected) : ok(events);
}

function idOf(input: unknown): string | null {
  if (typeof input !== 'object' || input === null) return null;
  const id = (input as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
}
