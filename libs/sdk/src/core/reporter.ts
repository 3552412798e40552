// Everything a sink tells the outside about itself: the counters behind stats(), the
// metrics backend, and the producer's onDrop and onError callbacks, which must never
// throw into emit or the send loop.
import { PromSinkMetrics } from '../metrics/prom-sink-metrics';
import { NOOP_SINK_METRICS, type SinkMetrics } from '../metrics/sink-metrics';
import {
  type DropReason,
  type DroppedEvent,
  type SinkOptions,
  type SinkProblem,
  type SinkStats,
} from '../types';

export type ReporterOptions = Pick<SinkOptions, 'onDrop' | 'onError' | 'registry' | 'name'>;

/** The counted part of {@link SinkStats} (the rest is read off the buffer). */
export type SinkCounts = Pick<
  SinkStats,
  'emitted' | 'published' | 'duplicates' | 'retries' | 'gapsEmitted' | 'dropped'
>;

interface Counters {
  emitted: number;
  published: number;
  duplicates: number;
  retries: number;
  gapsEmitted: number;
  dropped: Record<DropReason, number>;
}

export class SinkReporter {
  private readonly metrics: SinkMetrics;
  private readonly counters: Counters = {
    emitted: 0,
    published: 0,
    duplicates: 0,
    retries: 0,
    gapsEmitted: 0,
    dropped: { invalid: 0, overflow: 0, rejected: 0, closed: 0 },
  };

  constructor(private readonly options: ReporterOptions) {
    this.metrics = options.registry
      ? new PromSinkMetrics(options.registry, options.name ?? 'runlog-sdk')
      : NOOP_SINK_METRICS;
  }

  /** Lets the metrics read the sink's gauges when they are scraped. */
  watch(stats: () => SinkStats): void {
    this.metrics.watch(stats);
  }

  emitted(): void {
    this.counters.emitted++;
    this.metrics.emitted(1);
  }

  /** One of the producer's events was acknowledged. */
  published(duplicate: boolean): void {
    this.counters.published++;
    if (duplicate) this.counters.duplicates++;
  }

  /** One of the sink's own `producer.gap` events was acknowledged. */
  gapEmitted(): void {
    this.counters.gapsEmitted++;
    this.metrics.gapEmitted();
  }

  /**
   * A send's acknowledgements, for the published metric. It counts gap events too, unlike
   * `stats().published`.
   */
  acked(count: number): void {
    this.metrics.published(count);
  }

  retried(): void {
    this.counters.retries++;
    this.metrics.retried();
  }

  drop(drop: DroppedEvent): void {
    this.counters.dropped[drop.reason]++;
    this.metrics.dropped(drop.reason, 1);
    callSafely(this.options.onDrop, drop);
  }

  problem(problem: SinkProblem): void {
    callSafely(this.options.onError, problem);
  }

  /** The counters now (a copy). */
  counts(): SinkCounts {
    return { ...this.counters, dropped: { ...this.counters.dropped } };
  }
}

/** Calls a producer's callback; one that throws must not break emit or the send loop. */
function callSafely<T>(callback: ((value: T) => void) | undefined, value: T): void {
  try {
    callback?.(value);
  } catch {
    // ignored, as documented
  }
}
