import { type Gap } from '@runlog/bus';
import { type Completed, type DeliveredEvent, streamName } from '@runlog/contracts';
import { type Kysely, type Transaction } from 'kysely';
import { LOCK_NAMESPACES, lockKeys, recordGap } from '@runlog/store';
import { type LeaseHistoryDb, SCHEMA } from '../store/lease-history.schema';
import {
  type Anomaly,
  type CompletionRow,
  type LeaseEventRow,
  leaseView,
  type LeaseView,
} from './lease-state';

/** The families lease-history projects. */
export type ProjectedFamily = 'lease_history' | 'completion';
export type ProjectedEvent = DeliveredEvent<'lease_history'> | DeliveredEvent<'completion'>;

/** What one batch changed: the executions whose view moved, and anomalies seen for the first time. */
export interface BatchResult {
  readonly applied: number;
  readonly views: readonly LeaseView[];
  readonly newAnomalies: readonly Anomaly[];
}

const LEASE_STREAM = streamName('lease_history');

/**
 * Projects lease_history and completion events into SQL (DESIGN.md §5): each batch in one
 * transaction, history rows keyed by (stream, sequence) with ON CONFLICT DO NOTHING, and
 * each touched execution's view recomputed from all its stored events under a
 * per-execution lock. So a redelivered, reordered or concurrently applied batch (two
 * replicas on one durable) leaves exactly the view of the events in cursor order.
 */
export class LeaseProjection {
  constructor(private readonly db: Kysely<LeaseHistoryDb>) {}

  async apply(events: readonly ProjectedEvent[], stream: string): Promise<BatchResult> {
    if (events.length === 0) return { applied: 0, views: [], newAnomalies: [] };
    const ids = [...new Set(events.map((event) => event.data.execution_id))].sort();
    return this.db.transaction().execute(async (trx) => {
      await lockKeys(trx, LOCK_NAMESPACES.leaseHistory, ids);
      await trx
        .insertInto('lease_history.events')
        .values(
          events.map((event) => ({
            stream,
            seq: Number(event.cursor),
            execution_id: event.data.execution_id,
            family: event.family,
            kind: event.kind,
            id: event.id,
            time: event.time,
            data: JSON.stringify(event.data),
            extensions: event.extensions === undefined ? null : JSON.stringify(event.extensions),
          })),
        )
        .onConflict((conflict) => conflict.columns(['stream', 'seq']).doNothing())
        .execute();
      const views = await recompute(trx, ids);
      return { applied: events.length, ...views };
    });
  }

  /** Stores a gap the bus saw (once per consumer, family and start). */
  recordGap(gap: Gap): Promise<void> {
    return recordGap(this.db, SCHEMA, gap);
  }
}

/** Recomputes and stores the views of `ids` from every stored event of theirs. */
async function recompute(
  trx: Transaction<LeaseHistoryDb>,
  ids: readonly string[],
): Promise<Omit<BatchResult, 'applied'>> {
  const rows = await trx
    .selectFrom('lease_history.events')
    .select(['execution_id', 'stream', 'seq', 'kind', 'data'])
    .where('execution_id', 'in', ids)
    .execute();
  const before = await trx
    .selectFrom('lease_history.leases')
    .select(['execution_id', 'anomalies'])
    .where('execution_id', 'in', ids)
    .execute();
  const known = new Set(
    before.flatMap((row) =>
      (row.anomalies as Anomaly[]).map((a) => `${row.execution_id} ${a.cursor} ${a.code}`),
    ),
  );
  const views: LeaseView[] = [];
  const newAnomalies: Anomaly[] = [];
  const byExecution = new Map<string, typeof rows>();
  for (const row of rows) {
    const own = byExecution.get(row.execution_id);
    if (own) own.push(row);
    else byExecution.set(row.execution_id, [row]);
  }
  for (const id of ids) {
    const own = byExecution.get(id) ?? [];
    const leaseRows = own
      .filter((row) => row.stream === LEASE_STREAM)
      .map((row): LeaseEventRow => ({
        seq: Number(row.seq),
        kind: row.kind as LeaseEventRow['kind'],
        data: row.data,
      }));
    const completions = own
      .filter((row) => row.stream !== LEASE_STREAM)
      .map((row): CompletionRow => ({ seq: Number(row.seq), data: row.data as Completed }));
    const view = leaseView(id, leaseRows, completions);
    if (!view) continue;
    views.push(view);
    newAnomalies.push(...view.anomalies.filter((a) => !known.has(`${id} ${a.cursor} ${a.code}`)));
  }
  if (views.length > 0) {
    await trx
      .insertInto('lease_history.leases')
      .values(
        views.map((view) => ({
          execution_id: view.execution_id,
          state: view.state,
          owner: view.owner,
          lease_id: view.lease_id,
          acquired_at: view.acquired_at,
          renewed_at: view.renewed_at,
          renewals: view.renewals,
          outcome: JSON.stringify(view.outcome),
          cursor: Number(view.cursor),
          anomalies: JSON.stringify(view.anomalies),
        })),
      )
      .onConflict((conflict) =>
        conflict.column('execution_id').doUpdateSet((update) => ({
          state: update.ref('excluded.state'),
          owner: update.ref('excluded.owner'),
          lease_id: update.ref('excluded.lease_id'),
          acquired_at: update.ref('excluded.acquired_at'),
          renewed_at: update.ref('excluded.renewed_at'),
          renewals: update.ref('excluded.renewals'),
          outcome: update.ref('excluded.outcome'),
          cursor: update.ref('excluded.cursor'),
          anomalies: update.ref('excluded.anomalies'),
        })),
      )
      .execute();
  }
  return { views, newAnomalies };
}
