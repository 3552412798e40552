import { type Backlog, backlogGauge } from '@runlog/platform';
import { Counter, type Registry } from 'prom-client';
import { type TraceBatchResult } from './trace-projection';

/** trace-store's metrics (issue 7): events stored, duplicates skipped, projection lag. */
export class TraceMetrics {
  private readonly stored: Counter;
  private readonly duplicates: Counter;

  constructor(registry: Registry, backlog: () => Promise<Backlog>) {
    const registers = [registry];
    this.stored = new Counter({
      name: 'runlog_trace_store_events_stored_total',
      help: 'Trace events stored for the first time',
      registers,
    });
    this.duplicates = new Counter({
      name: 'runlog_trace_store_duplicates_skipped_total',
      help: 'Trace events skipped because their (request_id, event_id) was already stored',
      registers,
    });
    backlogGauge(
      registry,
      'runlog_trace_store_lag_messages',
      'The trace-store durable on RUNLOG_TRACE: events not yet delivered (state="pending", the lag) and delivered but not yet acked (state="in_flight")',
      [{ labels: {}, read: backlog }],
    );
  }

  batch(result: TraceBatchResult): void {
    this.stored.inc(result.stored);
    this.duplicates.inc(result.duplicates);
  }
}
