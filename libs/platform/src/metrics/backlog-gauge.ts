import { Gauge, type Registry } from 'prom-client';

/** A durable's backlog as JetStream reports it. */
export interface Backlog {
  /** Not yet delivered to any instance: the lag. */
  readonly pending: number;
  /** Delivered and not yet acked. */
  readonly inFlight: number;
}

/** One consumer whose backlog a {@link backlogGauge} reports, with its extra labels. */
export interface BacklogSource {
  readonly labels: Readonly<Record<string, string>>;
  read(): Promise<Backlog>;
}

/**
 * A gauge of consumers' backlogs read from the server at scrape time: one sample per
 * source and `state` (`pending`: the lag; `in_flight`: delivered, not acked). A scrape
 * while NATS is away keeps the last values rather than failing `/metrics`.
 */
export function backlogGauge(
  registry: Registry,
  name: string,
  help: string,
  sources: readonly BacklogSource[],
): Gauge {
  const labelNames = [...new Set(['state', ...sources.flatMap((s) => Object.keys(s.labels))])];
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      await Promise.all(
        sources.map(async (source) => {
          const backlog = await source.read().catch(() => undefined);
          if (!backlog) return;
          this.set({ ...source.labels, state: 'pending' }, backlog.pending);
          this.set({ ...source.labels, state: 'in_flight' }, backlog.inFlight);
        }),
      );
    },
  });
}
