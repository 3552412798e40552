import { type Gap } from '@runlog/bus';
import { type DeliveredEvent, instantIso, instantMs } from '@runlog/contracts';
import { LOCK_NAMESPACES, lockKeys, recordGap } from '@runlog/store';
import { type Kysely, type Transaction } from 'kysely';
import { SCHEMA, type TraceStoreDb } from '../store/trace-store.schema';
import { type TraceEventRow, traceSummary, traceUsage } from '../trace/trace-model';

/** What one batch did: events stored for the first time, and duplicates skipped. */
export interface TraceBatchResult {
  readonly stored: number;
  readonly duplicates: number;
}

/**
 * Projects trace events into SQL (DESIGN.md §5): each batch in one transaction; events
 * keyed by (request_id, event_id) with ON CONFLICT DO NOTHING, so a duplicate (even with a
 * new envelope id) is stored once; then each touched trace's summary and usage recomputed
 * from all its stored events under a per-trace lock. Redelivery, reordering across
 * batches, a trace spread over many batches, or two replicas on one durable all leave the
 * summary of the events stored.
 */
export class TraceProjection {
  constructor(private readonly db: Kysely<TraceStoreDb>) {}

  async apply(events: readonly DeliveredEvent<'trace'>[]): Promise<TraceBatchResult> {
    if (events.length === 0) return { stored: 0, duplicates: 0 };
    const ids = [...new Set(events.map((event) => event.data.request_id))];
    return this.db.transaction().execute(async (trx) => {
      await lockKeys(trx, LOCK_NAMESPACES.traceStore, ids);
      const inserted = await trx
        .insertInto('trace_store.events')
        .values(events.map(rowOf))
        .onConflict((conflict) => conflict.columns(['request_id', 'event_id']).doNothing())
        .returning('event_id')
        .execute();
      await recompute(trx, ids);
      return { stored: inserted.length, duplicates: events.length - inserted.length };
    });
  }

  /** Stores a gap the bus saw (once per consumer, family and start). */
  recordGap(gap: Gap): Promise<void> {
    return recordGap(this.db, SCHEMA, gap);
  }
}

function rowOf(event: DeliveredEvent<'trace'>) {
  const { data } = event;
  return {
    request_id: data.request_id,
    event_id: data.event_id,
    cursor: Number(event.cursor),
    kind: event.kind,
    op_name: data.op_name ?? null,
    ctx: JSON.stringify(data.ctx),
    timestamp: instantIso(data.timestamp),
    ts_ms: instantMs(data.timestamp),
    seq: data.seq,
    payload: JSON.stringify(data.payload),
  };
}

/** Reads the stored events of traces, as the pure model takes them. */
export async function storedEvents(
  db: Kysely<TraceStoreDb>,
  ids: readonly string[],
): Promise<Map<string, TraceEventRow[]>> {
  const rows = await db
    .selectFrom('trace_store.events')
    .select([
      'request_id',
      'event_id',
      'cursor',
      'kind',
      'op_name',
      'ctx',
      'timestamp',
      'seq',
      'payload',
    ])
    .where('request_id', 'in', ids)
    .execute();
  const byTrace = new Map<string, TraceEventRow[]>();
  for (const row of rows) {
    const event: TraceEventRow = {
      cursor: String(Number(row.cursor)),
      event_id: row.event_id,
      kind: row.kind as TraceEventRow['kind'],
      op_name: row.op_name,
      ctx: row.ctx,
      timestamp: row.timestamp,
      seq: Number(row.seq),
      payload: row.payload,
    };
    const own = byTrace.get(row.request_id);
    if (own) own.push(event);
    else byTrace.set(row.request_id, [event]);
  }
  return byTrace;
}

/** Recomputes and stores the summary and per-model usage of `ids`. */
async function recompute(trx: Transaction<TraceStoreDb>, ids: readonly string[]): Promise<void> {
  const byTrace = await storedEvents(trx, ids);
  const traces = [];
  const usage = [];
  for (const [id, rows] of byTrace) {
    const summary = traceSummary(id, rows);
    if (!summary) continue;
    const startedMs = Date.parse(summary.started_at);
    traces.push({
      request_id: id,
      started_at: summary.started_at,
      ended_at: summary.ended_at,
      started_ms: startedMs,
      ended_ms: Date.parse(summary.ended_at),
      duration_ms: summary.duration_ms,
      status: summary.status,
      ops: summary.ops,
      errors: summary.errors,
      total_tokens: summary.total_tokens,
      cost_usd: summary.cost_usd,
      op_names: [...summary.op_names],
      events: rows.length,
    });
    for (const model of traceUsage(id, rows).by_model) {
      usage.push({
        request_id: id,
        model: model.model,
        started_ms: startedMs,
        input_tokens: model.prompt_tokens,
        output_tokens: model.completion_tokens,
        total_tokens: model.total_tokens,
        cost_usd: model.cost_usd,
        calls: model.calls,
      });
    }
  }
  if (traces.length === 0) return;
  await trx
    .insertInto('trace_store.traces')
    .values(traces)
    .onConflict((conflict) =>
      conflict.column('request_id').doUpdateSet((update) => ({
        started_at: update.ref('excluded.started_at'),
        ended_at: update.ref('excluded.ended_at'),
        started_ms: update.ref('excluded.started_ms'),
        ended_ms: update.ref('excluded.ended_ms'),
        duration_ms: update.ref('excluded.duration_ms'),
        status: update.ref('excluded.status'),
        ops: update.ref('excluded.ops'),
        errors: update.ref('excluded.errors'),
        total_tokens: update.ref('excluded.total_tokens'),
        cost_usd: update.ref('excluded.cost_usd'),
        op_names: update.ref('excluded.op_names'),
        events: update.ref('excluded.events'),
      })),
    )
    .execute();
  await trx
    .deleteFrom('trace_store.usage')
    .where('request_id', 'in', [...byTrace.keys()])
    .execute();
  if (usage.length > 0) await trx.insertInto('trace_store.usage').values(usage).execute();
}
