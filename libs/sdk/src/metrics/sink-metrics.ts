import { type DropReason, type SinkStats } from '../types';

/** What a sink counts, for a metrics backend (no-op by default). */
export interface SinkMetrics {
  emitted(count: number): void;
  published(count: number): void;
  dropped(reason: DropReason, count: number): void;
  retried(): void;
  gapEmitted(): void;
  /** Reads the sink's gauges (buffered events and bytes, connected) when metrics are scraped. */
  watch(stats: () => SinkStats): void;
}

export const NOOP_SINK_METRICS: SinkMetrics = {
  emitted: () => undefined,
  published: () => undefined,
  dropped: () => undefined,
  retried: () => undefined,
  gapEmitted: () => undefined,
  watch: () => undefined,
};
