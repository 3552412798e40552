import { type Backlog, backlogGauge } from '@runlog/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type DurabilityMode, DURABILITY_MODES } from '../mapping';

/** What happened to a message that found an earlier message of its run unfinished. */
export type OrderWait = 'waited' | 'handed_back' | 'overtook';

/**
 * The normalizer's metrics (issue 5): raw and canonical events per kind, the durability
 * mode, and the lag of its durable, read from the server at scrape time. The bus's own
 * `runlog_bus_*` metrics (delivered, acked, retried, dead-lettered) sit beside them.
 */
export class NormalizerMetrics {
  private readonly rawTotal: Counter<'kind'>;
  private readonly canonicalTotal: Counter<'kind'>;
  private readonly orderWaits: Counter<'outcome'>;

  constructor(registry: Registry, mode: DurabilityMode, backlog: () => Promise<Backlog>) {
    const registers = [registry];
    this.rawTotal = new Counter({
      name: 'runlog_normalizer_raw_events_total',
      help: 'Raw agent events normalized, by agent kind',
      labelNames: ['kind'],
      registers,
    });
    this.canonicalTotal = new Counter({
      name: 'runlog_normalizer_canonical_events_total',
      help: 'Canonical events written to RUNLOG_CANONICAL (duplicates excluded), by canonical kind',
      labelNames: ['kind'],
      registers,
    });
    this.orderWaits = new Counter({
      name: 'runlog_normalizer_order_waits_total',
      help: 'Raw events that found an earlier event of their run unfinished: waited, handed back, or (after every delivery but the last) overtook it',
      labelNames: ['outcome'],
      registers,
    });
    const modeGauge = new Gauge({
      name: 'runlog_normalizer_durability_mode',
      help: 'NORMALIZER_DURABILITY: 1 for the mode in force',
      labelNames: ['mode'],
      registers,
    });
    for (const each of DURABILITY_MODES) modeGauge.set({ mode: each }, each === mode ? 1 : 0);

    backlogGauge(
      registry,
      'runlog_normalizer_lag_messages',
      'The normalizer durable on RUNLOG_AGENT: raw events not yet delivered (state="pending", the lag) and delivered but not yet acked (state="in_flight")',
      [{ labels: {}, read: backlog }],
    );
  }

  raw(kind: string): void {
    this.rawTotal.inc({ kind });
  }

  canonical(kind: string): void {
    this.canonicalTotal.inc({ kind });
  }

  orderWait(outcome: OrderWait): void {
    this.orderWaits.inc({ outcome });
  }
}
