// What the producer's onDrop hears, one builder per way an event is lost, so the same
// loss reads the same wherever the sink notices it.
import { type DropReason, type DroppedEvent } from '../types';
import { type Entry } from './entry';
import { type DroppedRange } from './gap-tracker';
import { type Invalid, type RawEntry } from './preparer';

const OVERFLOW = 'the buffer was full; the oldest waiting event was dropped';

/** It broke the contract (in `emit`, or when validated in the background). */
export function invalidDrop(invalid: Invalid): DroppedEvent {
  return {
    reason: 'invalid',
    ...invalid,
    message: invalid.errors.map((e) => e.message).join('; ') || 'invalid event',
  };
}

/** A validated event, the oldest waiting one when the buffer was full. */
export function overflowedEntry(entry: Entry): DroppedEvent {
  return droppedEntry(entry, 'overflow', OVERFLOW);
}

/** A captured event, dropped for room before it was validated (`sourceseq` spent on it). */
export function overflowedRaw(raw: RawEntry, sourceseq: number | undefined): DroppedEvent {
  return {
    reason: 'overflow',
    id: raw.id,
    ...(raw.type === undefined ? {} : { type: raw.type }),
    ...(raw.source === undefined ? {} : { source: raw.source }),
    ...(sourceseq === undefined ? {} : { sourceseq }),
    errors: [],
    message: OVERFLOW,
  };
}

/** An event runlog refused for good (or too many times). */
export function rejectedEntry(
  entry: Entry,
  errors: DroppedEvent['errors'],
  message: string,
): DroppedEvent {
  return { ...droppedEntry(entry, 'rejected', message), errors };
}

/** A buffered event `close()` gave up on. */
export function closedEntry(entry: Entry): DroppedEvent {
  return droppedEntry(entry, 'closed', 'the sink closed before runlog acknowledged it');
}

/** A captured event `close()` gave up on before it was validated. */
export function closedRaw(raw: RawEntry): DroppedEvent {
  return {
    reason: 'closed',
    id: raw.id,
    errors: [],
    message: 'the sink closed before it was sent',
  };
}

/** An event emitted after `close()`: only what it names about itself is known. */
export function closedInput(event: unknown): DroppedEvent {
  const given = (typeof event === 'object' && event !== null ? event : {}) as Record<
    string,
    unknown
  >;
  const text = (name: string) => (typeof given[name] === 'string' ? { [name]: given[name] } : {});
  return {
    reason: 'closed',
    ...text('id'),
    ...text('type'),
    ...text('source'),
    errors: [],
    message: 'emitted after close()',
  };
}

/** A dropped range whose `producer.gap` event will never be published. */
export function unrecordedGap(range: DroppedRange): DroppedEvent {
  return {
    reason: 'closed',
    type: 'runlog.producer.gap',
    source: range.source,
    errors: [],
    message: `sourceseq ${range.from}..${range.to} of ${range.source} (${range.dropped} events) were dropped and the gap event could not be published`,
  };
}

/** A dropped range whose `producer.gap` event failed the contract check. */
export function rejectedGap(range: DroppedRange, errors: DroppedEvent['errors']): DroppedEvent {
  return { ...unrecordedGap(range), reason: 'rejected', errors };
}

function droppedEntry(entry: Entry, reason: DropReason, message: string): DroppedEvent {
  return {
    reason,
    id: entry.id,
    type: entry.type,
    source: entry.source,
    ...(entry.sourceseq === undefined ? {} : { sourceseq: entry.sourceseq }),
    errors: [],
    message,
  };
}
