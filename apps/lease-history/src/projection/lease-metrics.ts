import { type Backlog, backlogGauge } from '@runlog/platform';
import { Counter, type Registry } from 'prom-client';
import { type Anomaly } from './lease-state';
import { type ProjectedFamily } from './lease-projection';

/** lease-history's metrics (issue 6): events applied, anomalies found, projection lag. */
export class LeaseMetrics {
  private readonly applied: Counter<'family'>;
  private readonly anomalies: Counter<'code'>;

  constructor(registry: Registry, backlog: (family: ProjectedFamily) => Promise<Backlog>) {
    const registers = [registry];
    this.applied = new Counter({
      name: 'runlog_lease_history_events_applied_total',
      help: 'Events written to the lease-history store (redeliveries included), by family',
      labelNames: ['family'],
      registers,
    });
    this.anomalies = new Counter({
      name: 'runlog_lease_history_anomalies_total',
      help: 'Anomalies flagged for the first time, by code',
      labelNames: ['code'],
      registers,
    });
    backlogGauge(
      registry,
      'runlog_lease_history_lag_messages',
      'The lease-history durables: events not yet delivered (state="pending", the lag) and delivered but not yet acked (state="in_flight"), by family',
      (['lease_history', 'completion'] as const).map((family) => ({
        labels: { family },
        read: () => backlog(family),
      })),
    );
  }

  batch(family: ProjectedFamily, applied: number, anomalies: readonly Anomaly[]): void {
    this.applied.inc({ family }, applied);
    for (const anomaly of anomalies) this.anomalies.inc({ code: anomaly.code });
  }
}
