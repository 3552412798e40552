import { type Gap } from '@runlog/bus';
import { type DeliveredEvent, instantMs } from '@runlog/contracts';
import { LOCK_NAMESPACES, recordGap } from '@runlog/store';
import { type Kysely, type Transaction } from 'kysely';
import {
  type EventRecord,
  insertEvents,
  readAggregateEvents,
  type TraceRecord,
  type UsageRecord,
  writeSummaries,
} from '../store/trace-statements';
import { readAggregate, type StoredAggregateRow, writeState } from '../store/trace-state';
import { SCHEMA, type TraceStoreDb } from '../store/trace-store.schema';
import {
  addEvents,
  type AggregateEvent,
  extendsInOrder,
  summaryOf,
  type TraceAggregate,
  usageTotals,
} from '../trace/trace-aggregate';
import { type TraceEventRow, text } from '../trace/trace-model';

/** What one batch did: events stored for the first time, and duplicates skipped. */
export interface TraceBatchResult {
  readonly stored: number;
  readonly duplicates: number;
}

/**
 * Projects trace events into SQL (DESIGN.md §5), each batch in one transaction of four
 * statements. The first locks the batch's traces (one advisory lock each) and reads their
 * aggregates (trace-aggregate.ts), then inserts the events keyed by (request_id, event_id)
 * with ON CONFLICT DO NOTHING RETURNING: a duplicate (even under a new envelope id) is
 * stored once, and only events stored for the first time are folded. The second writes the
 * extended aggregates back: summaries and the usage rows that changed. Only when a span or
 * group marker sorts before one already folded are the trace's stored markers re-read, and
 * only a row from before migration 0002 is rebuilt from all its events. Redelivery,
 * reordering across batches, a trace spread over many batches, or two replicas on one
 * durable all leave the summary of the events stored (docs/decisions.md D19).
 */
export class TraceProjection {
  constructor(private readonly db: Kysely<TraceStoreDb>) {}

  async apply(events: readonly DeliveredEvent<'trace'>[]): Promise<TraceBatchResult> {
    if (events.length === 0) return { stored: 0, duplicates: 0 };
    // The first of each (request_id, event_id) in the batch is the one offered to the table.
    const offered = new Map<string, Map<string, Offered>>();
    const records: Offered[] = [];
    for (const event of events) {
      const { request_id, event_id } = event.data;
      const trace = offered.get(request_id) ?? new Map<string, Offered>();
      offered.set(request_id, trace);
      if (trace.has(event_id)) continue;
      const record = recordOf(event);
      trace.set(event_id, record);
      records.push(record);
    }
    return this.db.transaction().execute(async (trx) => {
      const locks = { namespace: LOCK_NAMESPACES.traceStore, traces: [...offered.keys()] };
      const inserted = await insertEvents(trx, locks, records);
      const fresh = new Map<string, AggregateEvent[]>();
      for (const [request_id, event_id] of inserted.fresh) {
        const record = offered.get(request_id)?.get(event_id);
        if (record === undefined) continue;
        const list = fresh.get(request_id);
        if (list) list.push(record);
        else fresh.set(request_id, [record]);
      }
      if (fresh.size > 0) await fold(trx, fresh, inserted.traces);
      const stored = inserted.fresh.length;
      return { stored, duplicates: events.length - stored };
    });
  }

  /** Stores a gap the bus saw (once per consumer, family and start). */
  recordGap(gap: Gap): Promise<void> {
    return recordGap(this.db, SCHEMA, gap);
  }
}

/** The row an event is stored as, which is also what the aggregate reads of it. */
type Offered = EventRecord & AggregateEvent;

function recordOf(event: DeliveredEvent<'trace'>): Offered {
  const { data } = event;
  // instantIso's reading, from one parse of the timestamp rather than two.
  const ts_ms = instantMs(data.timestamp);
  return {
    request_id: data.request_id,
    event_id: data.event_id,
    cursor: Number(event.cursor),
    kind: event.kind,
    op_name: data.op_name ?? null,
    ctx: data.ctx,
    timestamp: Number.isNaN(ts_ms) ? String(data.timestamp) : new Date(ts_ms).toISOString(),
    ts_ms,
    seq: data.seq,
    // A decoded payload is a plain JSON object.
    payload: data.payload as unknown as Record<string, unknown>,
    extensions: event.extensions ?? null,
  };
}

/**
 * Extends each touched trace's aggregate with its fresh events and writes its summary row
 * and the usage rows that changed (every model's when the trace's start moved, since
 * usage ranges over it).
 */
async function fold(
  trx: Transaction<TraceStoreDb>,
  fresh: ReadonlyMap<string, readonly AggregateEvent[]>,
  stored: ReadonlyArray<StoredAggregateRow & { readonly request_id: string }>,
): Promise<void> {
  const ids = [...fresh.keys()];
  const previous = new Map(stored.map((row) => [row.request_id, readAggregate(row)]));
  // A row without a readable state is rebuilt from all its events; a marker out of order
  // replays the trace's stored markers.
  const rebuild = ids.filter((id) => previous.has(id) && previous.get(id) === undefined);
  const replay = ids.filter((id) => {
    const before = previous.get(id);
    return before !== undefined && !extendsInOrder(before, fresh.get(id) ?? []);
  });
  const all = await readAggregateEvents(trx, rebuild, 'all');
  const markers = await readAggregateEvents(trx, replay, 'markers');

  const traces: TraceRecord[] = [];
  const usage: UsageRecord[] = [];
  for (const [id, events] of fresh) {
    const before = previous.get(id);
    const whole = all.get(id);
    const next = whole
      ? addEvents(undefined, whole)
      : addEvents(before, events, replay.includes(id) ? (markers.get(id) ?? []) : undefined);
    traces.push(traceRecord(id, next));
    const everyModel = before === undefined || before.started_ms !== next.started_ms;
    const touched = new Set(
      events.filter((e) => e.kind === 'llm_usage').map((e) => text(e.payload, 'model')),
    );
    for (const [model, totals] of next.usage) {
      if (!everyModel && !touched.has(model)) continue;
      const sums = usageTotals(totals);
      usage.push({
        request_id: id,
        model,
        started_ms: next.started_ms,
        input_tokens: sums.prompt_tokens,
        output_tokens: sums.completion_tokens,
        total_tokens: sums.total_tokens,
        cost_usd: sums.cost_usd,
        calls: sums.calls,
      });
    }
  }
  await writeSummaries(trx, traces, usage);
}

function traceRecord(id: string, aggregate: TraceAggregate): TraceRecord {
  const summary = summaryOf(aggregate);
  return {
    request_id: id,
    ...summary,
    started_at: new Date(summary.started_ms).toISOString(),
    ended_at: new Date(summary.ended_ms).toISOString(),
    state: writeState(aggregate),
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
