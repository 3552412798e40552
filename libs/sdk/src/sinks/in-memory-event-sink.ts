import { type RunlogEvent } from '@runlog/contracts';
import { DEFAULT_MAX_EVENT_BYTES } from '../core/buffered-sink';
import { EventPreparer } from '../core/preparer';
import { type AnyEventInput } from '../events/event-input';
import {
  type DropReason,
  type DroppedEvent,
  type EventSink,
  type FlushResult,
  type SinkOptions,
  type SinkStats,
} from '../types';

export type InMemorySinkOptions = Pick<
  SinkOptions,
  'source' | 'sourceseqStart' | 'maxEventBytes' | 'onDrop'
>;

/**
 * An {@link EventSink} for tests: validates and stamps every event exactly as the network
 * sinks do, and keeps the accepted ones in memory. `snapshot()` answers them, typed, in
 * emission order; `dropped()` answers what was refused and why.
 */
export class InMemoryEventSink implements EventSink {
  private readonly events: RunlogEvent[] = [];
  private readonly drops: DroppedEvent[] = [];
  private readonly preparer: EventPreparer;
  private closed = false;

  constructor(private readonly options: InMemorySinkOptions = {}) {
    const max = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.preparer = new EventPreparer({
      ...(options.source === undefined ? {} : { source: options.source }),
      ...(options.sourceseqStart ? { sourceseqStart: options.sourceseqStart } : {}),
      maxEventBytes: () => max,
    });
  }

  emit(event: AnyEventInput): void {
    if (this.closed) {
      this.drop({ reason: 'closed', errors: [], message: 'emitted after close()' });
      return;
    }
    // The same two steps as the network sinks, at once.
    const captured = this.preparer.capture(event, this.events.length + 1);
    const prepared = captured.ok ? this.preparer.prepare(captured.raw) : captured;
    if (prepared.ok) this.events.push(prepared.event);
    else
      this.drop({
        reason: 'invalid',
        ...prepared.invalid,
        message: prepared.invalid.errors.map((e) => e.message).join('; '),
      });
  }

  /** The accepted events, typed and stamped, in emission order (a copy). */
  snapshot(): readonly RunlogEvent[] {
    return [...this.events];
  }

  /** The events `emit` refused, with the reason (a copy). */
  dropped(): readonly DroppedEvent[] {
    return [...this.drops];
  }

  /** Forgets the events and drops kept so far (sourceseq counters go on). */
  clear(): void {
    this.events.length = 0;
    this.drops.length = 0;
  }

  flush(): Promise<FlushResult> {
    return Promise.resolve({ ok: true });
  }

  close(): Promise<FlushResult> {
    this.closed = true;
    return Promise.resolve({ ok: true });
  }

  stats(): SinkStats {
    const count = (reason: DropReason) => this.drops.filter((d) => d.reason === reason).length;
    return {
      emitted: this.events.length,
      buffered: 0,
      bufferedBytes: 0,
      inFlight: 0,
      published: this.events.length,
      duplicates: 0,
      dropped: {
        invalid: count('invalid'),
        overflow: 0,
        rejected: 0,
        closed: count('closed'),
      },
      retries: 0,
      gapsEmitted: 0,
      gapsPending: 0,
      connected: true,
    };
  }

  private drop(drop: DroppedEvent): void {
    this.drops.push(drop);
    try {
      this.options.onDrop?.(drop);
    } catch {
      // ignored, as for the other sinks
    }
  }
}
