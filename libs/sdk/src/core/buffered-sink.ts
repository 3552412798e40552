// The EventSink every network sink extends: emit, flush, close and stats, and the wiring of
// the parts that do the work.
import { type AnyEventInput } from '../events/event-input';
import { type EventSink, type FlushResult, type SinkOptions, type SinkStats } from '../types';
import { describe } from './describe';
import { closedInput, invalidDrop } from './drops';
import { FlushWaiters } from './flush-waiters';
import { EventPreparer } from './preparer';
import { SinkReporter } from './reporter';
import { SendLoop } from './send-loop';
import { SinkBuffer } from './sink-buffer';
import { type BufferedSinkDefaults, sinkConfig } from './sink-config';
import { type Transport } from './transport';

export { DEFAULT_MAX_EVENT_BYTES, type BufferedSinkDefaults } from './sink-config';

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** Events validated per turn of the event loop (a long burst does not block I/O). */
const VALIDATE_SLICE = 256;

/**
 * The buffer, batching and retry machinery every network sink shares (docs/decisions.md
 * D20). `emit` validates and stamps the event, appends it to a bounded queue and returns;
 * one background loop takes batches off the queue, sends them through the transport,
 * removes what was acknowledged and retries the rest with backoff, in order. A full queue
 * drops its oldest waiting event and records the drop per source; once a send succeeds,
 * each contiguous dropped range is published as one `producer.gap` event, ahead of
 * everything else and never dropped itself.
 *
 * This class wires the parts and owns the sink's lifecycle: {@link SinkBuffer} holds the
 * events, {@link SendLoop} sends them, {@link FlushWaiters} answers flushes and
 * {@link SinkReporter} counts and reports.
 */
export class BufferedSink implements EventSink {
  private readonly preparer: EventPreparer;
  private readonly reporter: SinkReporter;
  private readonly buffer: SinkBuffer;
  private readonly waiters: FlushWaiters;
  private readonly loop: SendLoop;
  private validating = false;
  private seq = 0;
  private closing = false;
  private closed: Promise<FlushResult> | undefined;

  constructor(
    private readonly transport: Transport,
    options: SinkOptions,
    defaults: BufferedSinkDefaults,
  ) {
    const config = sinkConfig(options, defaults);
    this.preparer = new EventPreparer({
      ...(options.source === undefined ? {} : { source: options.source }),
      ...(options.sourceseqStart ? { sourceseqStart: options.sourceseqStart } : {}),
      maxEventBytes: () => Math.min(config.maxEventBytes, transport.maxEventBytes()),
    });
    this.reporter = new SinkReporter(options);
    this.reporter.watch(() => this.stats());
    this.buffer = new SinkBuffer(config, this.preparer, this.reporter);
    this.waiters = new FlushWaiters(this.buffer);
    this.loop = new SendLoop(transport, this.buffer, this.reporter, {
      lingerMs: config.lingerMs,
      backoff: config.backoff,
      urgent: () => this.waiters.waiting || this.closing,
      progressed: () => this.waiters.settle(),
    });
    transport.start({
      ready: () => this.loop.ready(),
      problem: (problem) => this.reporter.problem(problem),
    });
    this.loop.start();
  }

  emit(event: AnyEventInput): void {
    try {
      if (this.closing) {
        this.reporter.drop(closedInput(event));
        return;
      }
      // Only what is cheap happens here (ids, time, a JSON snapshot); validation, the
      // sourceseq and encoding follow in the background, in emission order.
      const captured = this.preparer.capture(event, this.seq + 1);
      if (!captured.ok) return this.reporter.drop(invalidDrop(captured.invalid));
      this.seq = captured.raw.seq;
      this.buffer.capture(captured.raw);
      this.reporter.emitted();
      if (!this.validating) {
        this.validating = true;
        setImmediate(() => this.validate());
      }
      this.buffer.overflow();
    } catch (error) {
      // A bug must not reach the producer: report it as this event's drop.
      this.reporter.drop({
        reason: 'invalid',
        errors: [],
        message: `emit failed: ${describe(error)}`,
      });
    }
  }

  /** Validates, stamps and encodes captured events, a slice per turn of the event loop. */
  private validate(): void {
    if (this.buffer.validate(VALIDATE_SLICE)) setImmediate(() => this.validate());
    else this.validating = false;
    this.loop.queued();
    this.waiters.settle();
  }

  flush(timeoutMs?: number): Promise<FlushResult> {
    const target = this.seq;
    if (this.buffer.settled(target)) return Promise.resolve({ ok: true });
    const flushed = this.waiters.add(target, timeoutMs);
    this.loop.hurry();
    return flushed;
  }

  close(timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<FlushResult> {
    this.closed ??= (async () => {
      this.closing = true;
      const result = await this.flush(timeoutMs);
      const stopped = this.loop.stop();
      await this.transport.close();
      await stopped;
      this.buffer.discard();
      this.waiters.abandon();
      return result;
    })();
    return this.closed;
  }

  stats(): SinkStats {
    const { dropped, ...counts } = this.reporter.counts();
    return {
      ...counts,
      buffered: this.buffer.buffered,
      bufferedBytes: this.buffer.bufferedBytes,
      inFlight: this.buffer.inFlightCount,
      dropped,
      gapsPending: this.buffer.gapsPending,
      connected: this.transport.connected,
    };
  }
}
