// The events a sink holds, oldest first: the sealed gap events, the batch in flight, the
// validated events waiting, and the captured ones not yet validated. It owns their count
// and bytes budget (overflow drops the oldest waiting event), what goes into the next
// batch, and what leaves when runlog acknowledges or refuses an event.
import { type DroppedEvent } from '../types';
import { describe } from './describe';
import { Deque } from './deque';
import {
  closedEntry,
  closedRaw,
  invalidDrop,
  overflowedEntry,
  overflowedRaw,
  rejectedEntry,
} from './drops';
import { type Entry } from './entry';
import { type FlushProgress } from './flush-waiters';
import { GapEvents } from './gap-events';
import { type EventPreparer, type Prepared, type RawEntry } from './preparer';
import { type SinkReporter } from './reporter';

export interface BufferLimits {
  readonly batchSize: number;
  readonly batchBytes: number;
  readonly maxEvents: number;
  readonly maxBytes: number;
}

export class SinkBuffer implements FlushProgress {
  /** Emitted, not yet validated: the newest events, validated in the background in order. */
  private readonly raw = new Deque<RawEntry>();
  /** Validated, stamped, encoded, waiting to be sent. */
  private readonly pending = new Deque<Entry>();
  /** The batch being sent (or to be re-sent): always older than everything pending. */
  private inFlight: Entry[] = [];
  private readonly gaps: GapEvents;
  private bytes = 0;
  private pendingSince = 0;
  private lastAcked = false;

  constructor(
    private readonly limits: BufferLimits,
    private readonly preparer: EventPreparer,
    private readonly reporter: SinkReporter,
  ) {
    this.gaps = new GapEvents(preparer, reporter);
  }

  /** Events held for the producer (gap events are not counted). */
  get buffered(): number {
    return this.raw.length + this.pending.length + this.inFlight.length;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  get gapsPending(): number {
    return this.gaps.pending;
  }

  /** Validated events waiting for a batch. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Whether the waiting events fill a batch (no reason to linger for more). */
  get fullBatch(): boolean {
    return this.pending.length >= this.limits.batchSize;
  }

  /** Whether something must go (again) before a new batch: gap events or a batch in flight. */
  get resending(): boolean {
    return this.inFlight.length > 0 || this.gaps.events.length > 0;
  }

  /** How long the waiting events have waited for a batch, in ms. */
  lingered(): number {
    return Date.now() - this.pendingSince;
  }

  /** Takes a captured event; call {@link overflow} after it. */
  capture(raw: RawEntry): void {
    this.raw.push(raw);
    this.bytes += raw.bytes;
  }

  /** Validates, stamps and encodes up to `count` captured events; answers whether more wait. */
  validate(count: number): boolean {
    const wasEmpty = this.pending.length === 0;
    for (let n = 0; n < count; n++) {
      const raw = this.raw.shift();
      if (!raw) break;
      this.bytes -= raw.bytes;
      let prepared: Prepared;
      try {
        prepared = this.preparer.prepare(raw);
      } catch (error) {
        const message = `could not be prepared: ${describe(error)}`;
        prepared = {
          ok: false,
          invalid: { id: raw.id, errors: [{ path: '', code: 'invalid_value', message }] },
        };
      }
      if (!prepared.ok) {
        this.reporter.drop(invalidDrop(prepared.invalid));
        continue;
      }
      this.pending.push(prepared.entry);
      this.bytes += prepared.entry.bytes;
    }
    if (wasEmpty && this.pending.length > 0) this.pendingSince = Date.now();
    // Encoding may have grown the buffer past its bytes budget.
    this.overflow();
    return this.raw.length > 0;
  }

  /**
   * Drops the oldest waiting events while the buffer is over its budget: validated ones
   * first (they are older), then captured ones; the batch in flight stays.
   */
  overflow(): void {
    while (this.buffered > this.limits.maxEvents || this.bytes > this.limits.maxBytes) {
      const now = Date.now();
      const old = this.pending.shift();
      if (old) {
        this.bytes -= old.bytes;
        if (old.sourceseq !== undefined)
          this.gaps.record(old.source, old.sourceseq, old.family, now);
        this.reporter.drop(overflowedEntry(old));
        continue;
      }
      const raw = this.raw.shift();
      if (!raw) return;
      this.bytes -= raw.bytes;
      const sourceseq = this.preparer.spend(raw);
      if (sourceseq !== undefined && raw.source !== undefined && raw.family !== undefined)
        this.gaps.record(raw.source, sourceseq, raw.family, now);
      this.reporter.drop(overflowedRaw(raw, sourceseq));
    }
  }

  /**
   * Seals the open dropped ranges once a send got through, or when nothing else is buffered
   * (no send would come to seal them). Until then a run of drops while runlog is away keeps
   * growing one range, which becomes one gap event.
   */
  sealGapsIfDue(): void {
    if (this.gaps.open > 0 && (this.lastAcked || this.buffered === 0)) this.gaps.seal();
  }

  /** Gap events first, then the batch in flight (a retry) or a new one off the queue. */
  nextBatch(): readonly Entry[] {
    if (this.inFlight.length === 0) {
      let bytes = 0;
      while (this.inFlight.length < this.limits.batchSize) {
        const next = this.pending.peek();
        if (!next || (this.inFlight.length > 0 && bytes + next.bytes > this.limits.batchBytes))
          break;
        bytes += next.bytes;
        this.inFlight.push(this.pending.shift() as Entry);
      }
      this.pendingSince = Date.now();
    }
    const gapEvents = this.gaps.events;
    return gapEvents.length === 0 ? this.inFlight : [...gapEvents, ...this.inFlight];
  }

  /** runlog has the entry: it leaves the buffer. */
  acknowledged(entry: Entry, duplicate: boolean): void {
    if (isGap(entry)) return this.reporter.gapEmitted();
    this.bytes -= entry.bytes;
    this.reporter.published(duplicate);
  }

  /** runlog refused the entry for good: it leaves the buffer, reported. */
  rejected(entry: Entry, errors: DroppedEvent['errors'], message: string): void {
    if (!isGap(entry)) {
      this.bytes -= entry.bytes;
      // The sourceseq will never arrive: record it like an overflow (one gap per range).
      if (entry.sourceseq !== undefined)
        this.gaps.record(entry.source, entry.sourceseq, entry.family, Date.now());
    }
    this.reporter.drop(rejectedEntry(entry, errors, message));
  }

  /** After a send: what it left stays for the next one, ahead of everything pending. */
  retain(kept: readonly Entry[], acked: boolean): void {
    this.gaps.retain(kept.filter(isGap));
    this.inFlight = kept.filter((entry) => !isGap(entry));
    this.lastAcked = acked;
  }

  settled(target: number): boolean {
    const oldest =
      this.inFlight[0]?.seq ?? this.pending.peek()?.seq ?? this.raw.peek()?.seq ?? Infinity;
    return oldest > target && this.gaps.pending === 0;
  }

  unsettled(target: number): number {
    return (
      this.inFlight.filter((entry) => entry.seq <= target).length +
      this.pending.countWhile((entry) => entry.seq <= target) +
      this.raw.countWhile((entry) => entry.seq <= target) +
      this.gaps.pending
    );
  }

  /** On close: empties the buffer, reporting every event and dropped range left in it. */
  discard(): void {
    const left = [...this.gaps.events, ...this.inFlight, ...this.pending.drain()];
    for (const raw of this.raw.drain()) this.reporter.drop(closedRaw(raw));
    this.gaps.retain([]);
    this.inFlight = [];
    this.bytes = 0;
    for (const entry of left) this.reporter.drop(closedEntry(entry));
    this.gaps.abandon();
  }
}

/** The sink's own `producer.gap` events, which live outside the budget. */
function isGap(entry: Entry): boolean {
  return entry.family === 'producer';
}
