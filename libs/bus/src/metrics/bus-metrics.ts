/**
 * What the bus counts. The prom-client implementation registers `runlog_bus_*` metrics
 * on a registry the service exposes at /metrics; the no-op one is for plain library use.
 * Labels: `stream`, `consumer`, `family` as strings.
 */
export interface BusMetrics {
  published(stream: string, count: number): void;
  duplicates(stream: string, count: number): void;
  publishFailed(stream: string, code: string): void;
  delivered(consumer: string, count: number): void;
  acked(consumer: string, count: number): void;
  retried(consumer: string, count: number): void;
  deadLettered(consumer: string, cause: string): void;
  gap(consumer: string, family: string, missing: number): void;
  handlerSeconds(consumer: string, seconds: number): void;
  batchSize(consumer: string, size: number): void;
}

export const NOOP_BUS_METRICS: BusMetrics = {
  published: () => undefined,
  duplicates: () => undefined,
  publishFailed: () => undefined,
  delivered: () => undefined,
  acked: () => undefined,
  retried: () => undefined,
  deadLettered: () => undefined,
  gap: () => undefined,
  handlerSeconds: () => undefined,
  batchSize: () => undefined,
};
