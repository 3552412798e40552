// The sink's account of the sourceseqs it dropped: open ranges (a GapTracker) until they
// are sealed into `producer.gap` events, and those events until runlog acknowledges them.
// Every range ends as a published gap event or as a reported drop.
import { randomUUID } from 'node:crypto';
import { decode, encode, type Family, type RunlogEvent } from '@runlog/contracts';
import { rejectedGap, unrecordedGap } from './drops';
import { type Entry } from './entry';
import { type DroppedRange, GapTracker } from './gap-tracker';
import { type EventPreparer } from './preparer';
import { type SinkReporter } from './reporter';

export class GapEvents {
  private readonly tracker = new GapTracker();
  /** Sealed `producer.gap` events: sent first, outside the budget, never dropped by overflow. */
  private sealed: Entry[] = [];

  constructor(
    private readonly preparer: EventPreparer,
    private readonly reporter: SinkReporter,
  ) {}

  /** Open ranges and sealed events not yet acknowledged (each is one gap event to come). */
  get pending(): number {
    return this.tracker.pending + this.sealed.length;
  }

  /** Open ranges, not sealed yet. */
  get open(): number {
    return this.tracker.pending;
  }

  /** The sealed events, to be sent ahead of everything else. */
  get events(): readonly Entry[] {
    return this.sealed;
  }

  /** A `sourceseq` that will never arrive. */
  record(source: string, sourceseq: number, family: Family, now: number): void {
    this.tracker.record(source, sourceseq, family, now);
  }

  /** Turns every open dropped range into a `producer.gap` event, sent before anything else. */
  seal(): void {
    for (const range of this.tracker.seal()) {
      // The sink's own event passes the same contract check as a producer's.
      const checked = decode(encode(gapEvent(range)));
      const encoded = checked.ok ? this.preparer.encode(checked.value, 0) : checked;
      if (encoded.ok) this.sealed.push(encoded.value);
      else this.reporter.drop(rejectedGap(range, encoded.errors));
    }
  }

  /** Replaces the sealed events with those a send left (neither acknowledged nor dropped). */
  retain(events: Entry[]): void {
    this.sealed = events;
  }

  /** On close: reports every range still open, whose gap event will never be published. */
  abandon(): void {
    for (const range of this.tracker.seal()) this.reporter.drop(unrecordedGap(range));
  }
}

function gapEvent(range: DroppedRange): RunlogEvent {
  return {
    family: 'producer',
    kind: 'gap',
    id: randomUUID(),
    source: range.source,
    time: new Date().toISOString(),
    subject: range.source,
    data: {
      source: range.source,
      from_sourceseq: range.from,
      to_sourceseq: range.to,
      dropped: range.dropped,
      at: new Date(range.at).toISOString(),
      families: range.families,
    },
  };
}
