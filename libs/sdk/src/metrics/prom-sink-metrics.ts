import { Counter, Gauge, type Registry } from 'prom-client';
import { type DropReason, type SinkStats } from '../types';
import { type SinkMetrics } from './sink-metrics';

type Label = 'sink';

/** The gauges of every sink on a registry, read at scrape time. */
const watched = new WeakMap<Registry, Map<string, () => SinkStats>>();

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge(
  registry: Registry,
  name: string,
  help: string,
  read: (stats: SinkStats) => number,
): void {
  if (registry.getSingleMetric(name)) return;
  new Gauge<Label>({
    name,
    help,
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sink, stats] of watched.get(registry) ?? []) this.set({ sink }, read(stats()));
    },
  });
}

/**
 * {@link SinkMetrics} as `runlog_sdk_*` prom-client metrics, labelled by sink name. Several
 * sinks may share a registry (give them different names).
 */
export class PromSinkMetrics implements SinkMetrics {
  private readonly emittedTotal: { inc(value: number): void };
  private readonly publishedTotal: { inc(value: number): void };
  private readonly droppedTotal: Counter<Label | 'reason'>;
  private readonly retriesTotal: { inc(): void };
  private readonly gapsTotal: { inc(): void };

  constructor(
    private readonly registry: Registry,
    private readonly sink: string,
  ) {
    // Children bound to this sink's label: no label lookup per emit.
    const labels = { sink };
    this.emittedTotal = counter(registry, 'runlog_sdk_emitted_total', 'Events taken by emit', [
      'sink',
    ]).labels(labels);
    this.publishedTotal = counter(
      registry,
      'runlog_sdk_published_total',
      'Events acknowledged by runlog',
      ['sink'],
    ).labels(labels);
    this.droppedTotal = counter(
      registry,
      'runlog_sdk_dropped_total',
      'Events that will never reach runlog, by reason (invalid, overflow, rejected, closed)',
      ['sink', 'reason'],
    );
    this.retriesTotal = counter(
      registry,
      'runlog_sdk_retries_total',
      'Failed sends that were retried',
      ['sink'],
    ).labels(labels);
    this.gapsTotal = counter(
      registry,
      'runlog_sdk_gaps_total',
      'producer.gap events acknowledged by runlog',
      ['sink'],
    ).labels(labels);
    gauge(registry, 'runlog_sdk_buffered_events', 'Events waiting for an ack', (s) => s.buffered);
    gauge(
      registry,
      'runlog_sdk_buffered_bytes',
      'Encoded bytes of the events waiting for an ack',
      (s) => s.bufferedBytes,
    );
    gauge(registry, 'runlog_sdk_connected', '1 when the sink can reach runlog', (s) =>
      s.connected ? 1 : 0,
    );
  }

  emitted(count: number): void {
    this.emittedTotal.inc(count);
  }

  published(count: number): void {
    this.publishedTotal.inc(count);
  }

  dropped(reason: DropReason, count: number): void {
    this.droppedTotal.inc({ sink: this.sink, reason }, count);
  }

  retried(): void {
    this.retriesTotal.inc();
  }

  gapEmitted(): void {
    this.gapsTotal.inc();
  }

  watch(stats: () => SinkStats): void {
    let sinks = watched.get(this.registry);
    if (!sinks) watched.set(this.registry, (sinks = new Map<string, () => SinkStats>()));
    sinks.set(this.sink, stats);
  }
}
