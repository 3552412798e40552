import { randomUUID } from 'node:crypto';
import { decode, encode, type RunlogEvent } from '@runlog/contracts';
import { type AnyEventInput } from '../events/event-input';
import { PromSinkMetrics } from '../metrics/prom-sink-metrics';
import { NOOP_SINK_METRICS, type SinkMetrics } from '../metrics/sink-metrics';
import {
  type DropReason,
  type DroppedEvent,
  type EventSink,
  type FlushResult,
  type SinkOptions,
  type SinkProblem,
  type SinkStats,
} from '../types';
import { Backoff } from './backoff';
import { Deque } from './deque';
import { type Entry } from './entry';
import { type DroppedRange, GapTracker } from './gap-tracker';
import { EventPreparer, type Invalid, type Prepared, type RawEntry } from './preparer';
import { Signal } from './signal';
import { type Outcome, type Transport } from './transport';

/** NATS's default max_payload less room for headers and the subject. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024 - 4 * 1024;
const OVERFLOW = 'the buffer was full; the oldest waiting event was dropped';
/** Error answers an event gets before it is dropped as `rejected`. */
const MAX_REFUSALS = 5;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** Events validated per turn of the event loop (a long burst does not block I/O). */
const VALIDATE_SLICE = 256;

/** Per-transport defaults and limits. */
export interface BufferedSinkDefaults {
  readonly batchSize: number;
  /** The largest batch the transport takes (HTTP: ingest's INGEST_MAX_BATCH default). */
  readonly maxBatchSize?: number;
}

type State = 'idle' | 'linger' | 'sending' | 'backoff' | 'offline' | 'stopped';

interface Waiter {
  readonly target: number;
  readonly resolve: (result: FlushResult) => void;
  timer?: NodeJS.Timeout;
}

interface Counters {
  emitted: number;
  published: number;
  duplicates: number;
  retries: number;
  gapsEmitted: number;
  dropped: Record<DropReason, number>;
}

/**
 * The buffer, batching and retry machinery every network sink shares (docs/decisions.md
 * D20). `emit` validates and stamps the event, appends it to a bounded queue and returns;
 * one background loop takes batches off the queue, sends them through the transport,
 * removes what was acknowledged and retries the rest with backoff, in order. A full queue
 * drops its oldest waiting event and records the drop per source; once a send succeeds,
 * each contiguous dropped range is published as one `producer.gap` event, ahead of
 * everything else and never dropped itself.
 */
export class BufferedSink implements EventSink {
  /** Emitted, not yet validated: the newest events, validated in the background in order. */
  private readonly raw = new Deque<RawEntry>();
  private validating = false;
  /** Validated, stamped, encoded, waiting to be sent. */
  private readonly pending = new Deque<Entry>();
  /** The batch being sent (or to be re-sent): always older than everything pending. */
  private inFlight: Entry[] = [];
  /** Sealed `producer.gap` events: sent first, outside the budget, never dropped by overflow. */
  private gapEvents: Entry[] = [];
  private readonly gaps = new GapTracker();
  private readonly preparer: EventPreparer;
  private readonly signal = new Signal();
  private readonly backoff: Backoff;
  private readonly metrics: SinkMetrics;
  private readonly waiters: Waiter[] = [];
  private readonly counters: Counters = {
    emitted: 0,
    published: 0,
    duplicates: 0,
    retries: 0,
    gapsEmitted: 0,
    dropped: { invalid: 0, overflow: 0, rejected: 0, closed: 0 },
  };
  private readonly batchSize: number;
  private readonly batchBytes: number;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly lingerMs: number;
  private bytes = 0;
  private seq = 0;
  private pendingSince = 0;
  private lastAcked = false;
  private state: State = 'idle';
  private closing = false;
  private closed: Promise<FlushResult> | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly transport: Transport,
    private readonly options: SinkOptions,
    defaults: BufferedSinkDefaults,
  ) {
    this.batchSize = positive('batchSize', options.batchSize ?? defaults.batchSize);
    if (defaults.maxBatchSize !== undefined && this.batchSize > defaults.maxBatchSize)
      throw new RangeError(`batchSize must be at most ${defaults.maxBatchSize}`);
    this.batchBytes = positive('batchBytes', options.batchBytes ?? 1024 * 1024);
    this.maxEvents = positive('maxBufferedEvents', options.maxBufferedEvents ?? 10_000);
    this.maxBytes = positive('maxBufferedBytes', options.maxBufferedBytes ?? 16 * 1024 * 1024);
    if (this.maxEvents < this.batchSize)
      throw new RangeError('maxBufferedEvents must be at least batchSize');
    this.lingerMs = Math.max(0, options.lingerMs ?? 5);
    this.backoff = new Backoff(
      positive('backoff.initialMs', options.backoff?.initialMs ?? 100),
      positive('backoff.maxMs', options.backoff?.maxMs ?? 5_000),
    );
    const maxEventBytes = positive(
      'maxEventBytes',
      options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
    );
    this.preparer = new EventPreparer({
      ...(options.source === undefined ? {} : { source: options.source }),
      ...(options.sourceseqStart ? { sourceseqStart: options.sourceseqStart } : {}),
      maxEventBytes: () => Math.min(maxEventBytes, transport.maxEventBytes()),
    });
    this.metrics = options.registry
      ? new PromSinkMetrics(options.registry, options.name ?? 'runlog-sdk')
      : NOOP_SINK_METRICS;
    this.metrics.watch(() => this.stats());
    transport.start({
      ready: () => {
        if (this.state === 'offline' || this.state === 'backoff') this.signal.notify();
      },
      problem: (problem) => this.problem(problem),
    });
    this.loop = this.run();
  }

  emit(event: AnyEventInput): void {
    try {
      if (this.closing) {
        this.report(closedInput(event));
        return;
      }
      // Only what is cheap happens here (ids, time, a JSON snapshot); validation, the
      // sourceseq and encoding follow in the background, in emission order.
      const captured = this.preparer.capture(event, this.seq + 1);
      if (!captured.ok) return this.invalid(captured.invalid);
      const raw = captured.raw;
      this.seq = raw.seq;
      this.raw.push(raw);
      this.bytes += raw.bytes;
      this.counters.emitted++;
      this.metrics.emitted(1);
      if (!this.validating) {
        this.validating = true;
        setImmediate(() => this.validate());
      }
      this.overflow();
    } catch (error) {
      // A bug must not reach the producer: report it as this event's drop.
      this.report({ reason: 'invalid', errors: [], message: `emit failed: ${describe(error)}` });
    }
  }

  /** Validates, stamps and encodes captured events, a slice per turn of the event loop. */
  private validate(): void {
    const wasEmpty = this.pending.length === 0;
    for (let n = 0; n < VALIDATE_SLICE; n++) {
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
        this.invalid(prepared.invalid);
        continue;
      }
      this.pending.push(prepared.entry);
      this.bytes += prepared.entry.bytes;
    }
    if (wasEmpty && this.pending.length > 0) this.pendingSince = Date.now();
    // Encoding may have grown the buffer past its bytes budget.
    this.overflow();
    if (this.raw.length > 0) setImmediate(() => this.validate());
    else this.validating = false;
    if (this.state === 'idle' || (this.state === 'linger' && this.pending.length >= this.batchSize))
      this.signal.notify();
    this.settleWaiters();
  }

  private invalid(invalid: Invalid): void {
    this.report({
      reason: 'invalid',
      ...invalid,
      message: invalid.errors.map((e) => e.message).join('; ') || 'invalid event',
    });
  }

  flush(timeoutMs?: number): Promise<FlushResult> {
    const target = this.seq;
    if (this.settled(target)) return Promise.resolve({ ok: true });
    return new Promise<FlushResult>((resolve) => {
      const waiter: Waiter = { target, resolve };
      if (timeoutMs !== undefined)
        waiter.timer = setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          resolve({ ok: false, pending: this.unsettled(target) });
        }, timeoutMs);
      this.waiters.push(waiter);
      if (this.state === 'linger') this.signal.notify();
    });
  }

  close(timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<FlushResult> {
    this.closed ??= (async () => {
      this.closing = true;
      const result = await this.flush(timeoutMs);
      this.stopped();
      await this.transport.close();
      await this.loop;
      const left = [...this.gapEvents, ...this.inFlight, ...this.pending.drain()];
      for (const raw of this.raw.drain())
        this.report({
          reason: 'closed',
          id: raw.id,
          errors: [],
          message: 'the sink closed before it was sent',
        });
      this.gapEvents = [];
      this.inFlight = [];
      this.bytes = 0;
      for (const entry of left)
        this.report(droppedEntry(entry, 'closed', 'the sink closed before runlog acknowledged it'));
      for (const range of this.gaps.seal()) this.report(unrecordedGap(range));
      for (const waiter of this.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.resolve({ ok: false, pending: 0 });
      }
      return result;
    })();
    return this.closed;
  }

  stats(): SinkStats {
    const { dropped, ...counters } = this.counters;
    return {
      ...counters,
      buffered: this.buffered,
      bufferedBytes: this.bytes,
      inFlight: this.inFlight.length,
      dropped: { ...dropped },
      gapsPending: this.gaps.pending + this.gapEvents.length,
      connected: this.transport.connected,
    };
  }

  private stopped(): void {
    this.state = 'stopped';
    this.signal.notify();
  }

  private async run(): Promise<void> {
    while (this.state !== 'stopped') {
      try {
        await this.cycle();
      } catch (error) {
        // Only a bug gets here; keep the loop alive rather than strand the buffer.
        this.problem({ code: 'publish_failed', message: `send loop: ${describe(error)}` });
        await this.wait('backoff', this.backoff.next());
      }
    }
  }

  private async cycle(): Promise<void> {
    if (this.gaps.pending > 0 && (this.lastAcked || this.buffered === 0)) this.sealGaps();
    if (this.inFlight.length === 0 && this.gapEvents.length === 0) {
      if (this.pending.length === 0) {
        this.settleWaiters();
        return this.wait('idle');
      }
      const lingered = Date.now() - this.pendingSince;
      if (this.pending.length < this.batchSize && !this.urgent() && lingered < this.lingerMs)
        return this.wait('linger', this.lingerMs - lingered);
    }
    if (!this.transport.ready) return this.wait('offline', this.backoff.next());
    const batch = this.nextBatch();
    this.state = 'sending';
    const outcomes = await this.transport.send(batch);
    if (this.settle(batch, outcomes)) {
      this.counters.retries++;
      this.metrics.retried();
      await this.wait('backoff', this.backoff.next());
    } else this.backoff.reset();
  }

  private async wait(state: State, ms?: number): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = state;
    await this.signal.wait(ms);
  }

  private get buffered(): number {
    return this.raw.length + this.pending.length + this.inFlight.length;
  }

  private urgent(): boolean {
    return this.waiters.length > 0 || this.closing;
  }

  /**
   * Drops the oldest waiting events while the buffer is over its budget: validated ones
   * first (they are older), then captured ones; the batch in flight stays.
   */
  private overflow(): void {
    while (this.buffered > this.maxEvents || this.bytes > this.maxBytes) {
      const now = Date.now();
      const old = this.pending.shift();
      if (old) {
        this.bytes -= old.bytes;
        if (old.sourceseq !== undefined)
          this.gaps.record(old.source, old.sourceseq, old.family, now);
        this.report(droppedEntry(old, 'overflow', OVERFLOW));
        continue;
      }
      const raw = this.raw.shift();
      if (!raw) return;
      this.bytes -= raw.bytes;
      const sourceseq = this.preparer.spend(raw);
      if (sourceseq !== undefined && raw.source !== undefined && raw.family !== undefined)
        this.gaps.record(raw.source, sourceseq, raw.family, now);
      this.report({
        reason: 'overflow',
        id: raw.id,
        ...(raw.type === undefined ? {} : { type: raw.type }),
        ...(raw.source === undefined ? {} : { source: raw.source }),
        ...(sourceseq === undefined ? {} : { sourceseq }),
        errors: [],
        message: OVERFLOW,
      });
    }
  }

  /** Gap events first, then the batch in flight (a retry) or a new one off the queue. */
  private nextBatch(): Entry[] {
    if (this.inFlight.length === 0) {
      let bytes = 0;
      while (this.inFlight.length < this.batchSize) {
        const next = this.pending.peek();
        if (!next || (this.inFlight.length > 0 && bytes + next.bytes > this.batchBytes)) break;
        bytes += next.bytes;
        this.inFlight.push(this.pending.shift() as Entry);
      }
      this.pendingSince = Date.now();
    }
    return this.gapEvents.length === 0 ? this.inFlight : [...this.gapEvents, ...this.inFlight];
  }

  /** Applies the outcomes of a send; answers whether to back off before the next. */
  private settle(batch: readonly Entry[], outcomes: readonly Outcome[]): boolean {
    const keepGaps: Entry[] = [];
    const keep: Entry[] = [];
    let acked = 0;
    let dropped = 0;
    let transient: string | undefined;
    batch.forEach((entry, index) => {
      const outcome = outcomes[index] ?? { kind: 'retry', message: 'no answer for this event' };
      const isGap = entry.family === 'producer';
      const stay = (): void => void (isGap ? keepGaps : keep).push(entry);
      switch (outcome.kind) {
        case 'acked':
          acked++;
          if (isGap) {
            this.counters.gapsEmitted++;
            this.metrics.gapEmitted();
          } else {
            this.bytes -= entry.bytes;
            this.counters.published++;
            if (outcome.duplicate) this.counters.duplicates++;
          }
          return;
        case 'again':
          return stay();
        case 'retry':
          transient ??= outcome.message;
          return stay();
        case 'refused':
          if (++entry.refusals < MAX_REFUSALS) {
            transient ??= outcome.message;
            return stay();
          }
          dropped++;
          return this.reject(entry, isGap, [], `refused ${MAX_REFUSALS} times: ${outcome.message}`);
        case 'rejected':
          dropped++;
          return this.reject(entry, isGap, outcome.errors, outcome.message);
      }
    });
    this.gapEvents = keepGaps;
    this.inFlight = keep;
    this.lastAcked = acked > 0;
    if (acked > 0) this.metrics.published(acked);
    this.settleWaiters();
    if (transient !== undefined)
      this.problem({
        code: 'publish_failed',
        message: transient,
        attempt: this.backoff.attempts + 1,
      });
    // Nothing moved (only "again"): back off rather than spin.
    return transient !== undefined || (acked === 0 && dropped === 0 && batch.length > 0);
  }

  private reject(
    entry: Entry,
    isGap: boolean,
    errors: DroppedEvent['errors'],
    message: string,
  ): void {
    if (!isGap) {
      this.bytes -= entry.bytes;
      // The sourceseq will never arrive: record it like an overflow (one gap per range).
      if (entry.sourceseq !== undefined)
        this.gaps.record(entry.source, entry.sourceseq, entry.family, Date.now());
    }
    this.report({ ...droppedEntry(entry, 'rejected', message), errors });
  }

  /** Turns every open dropped range into a `producer.gap` event, sent before anything else. */
  private sealGaps(): void {
    for (const range of this.gaps.seal()) {
      const event: RunlogEvent = {
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
      // The sink's own event passes the same contract check as a producer's.
      const checked = decode(encode(event));
      const encoded = checked.ok ? this.preparer.encode(checked.value, 0) : checked;
      if (encoded.ok) this.gapEvents.push(encoded.value);
      else this.report({ ...unrecordedGap(range), reason: 'rejected', errors: encoded.errors });
    }
  }

  private settled(target: number): boolean {
    const oldest =
      this.inFlight[0]?.seq ?? this.pending.peek()?.seq ?? this.raw.peek()?.seq ?? Infinity;
    return oldest > target && this.gapEvents.length === 0 && this.gaps.pending === 0;
  }

  private unsettled(target: number): number {
    return (
      this.inFlight.filter((entry) => entry.seq <= target).length +
      this.pending.countWhile((entry) => entry.seq <= target) +
      this.raw.countWhile((entry) => entry.seq <= target) +
      this.gapEvents.length +
      this.gaps.pending
    );
  }

  private settleWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i] as Waiter;
      if (!this.settled(waiter.target)) continue;
      this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.resolve({ ok: true });
    }
  }

  private report(drop: DroppedEvent): void {
    this.counters.dropped[drop.reason]++;
    this.metrics.dropped(drop.reason, 1);
    const onDrop = this.options.onDrop;
    if (!onDrop) return;
    try {
      onDrop(drop);
    } catch {
      // A failing callback must not break emit or the send loop.
    }
  }

  private problem(problem: SinkProblem): void {
    const onError = this.options.onError;
    if (!onError) return;
    try {
      onError(problem);
    } catch {
      // ignored, as documented
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

function closedInput(event: unknown): DroppedEvent {
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

function unrecordedGap(range: DroppedRange): DroppedEvent {
  return {
    reason: 'closed',
    type: 'runlog.producer.gap',
    source: range.source,
    errors: [],
    message: `sourceseq ${range.from}..${range.to} of ${range.source} (${range.dropped} events) were dropped and the gap event could not be published`,
  };
}
