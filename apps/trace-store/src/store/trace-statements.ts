import { type Extensions, type KindOf } from '@runlog/contracts';
import { sql, type Transaction } from 'kysely';
import { type AggregateEvent, type AggregateSummary } from '../trace/trace-aggregate';
import { type StoredAggregateRow, type StoredTraceState } from './trace-state';
import { type TraceStoreDb } from './trace-store.schema';

// The statements of one projection batch. Rows travel as one JSON parameter read with
// json_to_recordset, not one parameter per value: PGlite pays for every parameter (a
// 200-event insert had 2,000), and the statement text stays the same whatever the batch.

/** An event row of trace_store.events, as the batch offers it: what the aggregate reads, and more. */
export interface EventRecord extends Omit<AggregateEvent, 'payload'> {
  readonly request_id: string;
  /** RFC 3339 UTC with milliseconds. */
  readonly timestamp: string;
  readonly payload: unknown;
  /** The event's CloudEvents extension attributes; null or absent when it had none. */
  readonly extensions?: Extensions | null;
}

/** A row of trace_store.traces as the projection writes it. */
export interface TraceRecord extends AggregateSummary {
  readonly request_id: string;
  readonly started_at: string;
  readonly ended_at: string;
  readonly state: StoredTraceState;
}

/** A row of trace_store.usage. */
export interface UsageRecord {
  readonly request_id: string;
  readonly model: string;
  readonly started_ms: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
  readonly calls: number;
}

type Trx = Transaction<TraceStoreDb>;

/** What the batch's first statement answers. */
export interface InsertedBatch {
  /** The events stored for the first time, as [request_id, event_id]. */
  readonly fresh: ReadonlyArray<readonly [string, string]>;
  /** The aggregate columns of the batch's traces that have a row. */
  readonly traces: ReadonlyArray<StoredAggregateRow & { readonly request_id: string }>;
}

/**
 * One statement: locks the traces (trace_store.lock_traces) and reads their aggregate rows,
 * then inserts the events, each (request_id, event_id) at most once; answers the rows and
 * the events stored for the first time. The rows are read after the locks are held: no
 * other replica can change them before this transaction ends. One JSON row comes back
 * rather than a row per event: cheaper to parse, on PGlite above all.
 */
export async function insertEvents(
  trx: Trx,
  locks: { readonly namespace: number; readonly traces: readonly string[] },
  events: readonly EventRecord[],
): Promise<InsertedBatch> {
  const { rows } = await sql<{ fresh: InsertedBatch['fresh']; traces: InsertedBatch['traces'] }>`
    with locked as (
      select * from trace_store.lock_traces(${locks.namespace}, ${locks.traces}::text[])),
    inserted as (
      insert into trace_store.events
        (request_id, event_id, cursor, kind, op_name, ctx, timestamp, ts_ms, seq, payload,
         extensions)
      select request_id, event_id, cursor, kind, op_name, ctx::jsonb, timestamp, ts_ms, seq,
             payload::jsonb, extensions::jsonb
      -- json, then jsonb: about twice as fast as json_to_recordset's own jsonb columns.
      from json_to_recordset(${JSON.stringify(events)}::json) as batch(
        request_id text, event_id text, cursor bigint, kind text, op_name text, ctx json,
        timestamp text, ts_ms bigint, seq bigint, payload json, extensions json)
      -- Evaluated once, before the first row: the locks are held before any insert.
      where (select count(*) from locked) >= 0
      on conflict (request_id, event_id) do nothing
      returning request_id, event_id)
    select
      (select coalesce(json_agg(json_build_array(request_id, event_id)), '[]')
       from inserted) as fresh,
      (select coalesce(json_agg(json_build_object(
         'request_id', request_id, 'started_ms', started_ms, 'ended_ms', ended_ms,
         'events', events, 'ops', ops, 'errors', errors, 'op_names', op_names,
         'state', state)), '[]') from locked) as traces`.execute(trx);
  return rows[0] ?? { fresh: [], traces: [] };
}

const MARKER_KINDS: readonly KindOf<'trace'>[] = ['op_start', 'op_end', 'group_start', 'group_end'];

/**
 * The stored events of `ids` as the aggregate reads them: all of them, or only their span
 * and group markers (with a payload only for group markers, whose name is in it).
 */
export async function readAggregateEvents(
  trx: Trx,
  ids: readonly string[],
  what: 'all' | 'markers',
): Promise<Map<string, AggregateEvent[]>> {
  const byTrace = new Map<string, AggregateEvent[]>();
  if (ids.length === 0) return byTrace;
  type Payload = Record<string, unknown> | null;
  const payload =
    what === 'all'
      ? sql<Payload>`payload`
      : sql<Payload>`case when kind in ('group_start', 'group_end') then payload end`;
  let query = trx
    .selectFrom('trace_store.events')
    .select(['request_id', 'event_id', 'cursor', 'kind', 'op_name', 'ctx', 'ts_ms', 'seq'])
    .select(payload.as('payload'))
    .where(sql<boolean>`request_id = any(${ids}::text[])`);
  if (what === 'markers') query = query.where('kind', 'in', MARKER_KINDS);
  for (const row of await query.execute()) {
    const event: AggregateEvent = {
      event_id: row.event_id,
      cursor: Number(row.cursor),
      kind: row.kind as KindOf<'trace'>,
      op_name: row.op_name,
      ctx: row.ctx,
      ts_ms: Number(row.ts_ms),
      seq: Number(row.seq),
      payload: row.payload ?? {},
    };
    const list = byTrace.get(row.request_id);
    if (list) list.push(event);
    else byTrace.set(row.request_id, [event]);
  }
  return byTrace;
}

/** Upserts summary rows and usage rows, in one statement (both by primary key). */
export async function writeSummaries(
  trx: Trx,
  traces: readonly TraceRecord[],
  usage: readonly UsageRecord[],
): Promise<void> {
  await sql`
    with summaries as (
      insert into trace_store.traces
        (request_id, started_at, ended_at, started_ms, ended_ms, duration_ms, status, ops,
         errors, total_tokens, cost_usd, op_names, events, state)
      select request_id, started_at, ended_at, started_ms, ended_ms, duration_ms, status, ops,
             errors, total_tokens, cost_usd, op_names, events, state::jsonb
      from json_to_recordset(${json(traces)}::json) as batch(
        request_id text, started_at text, ended_at text, started_ms bigint, ended_ms bigint,
        duration_ms bigint, status text, ops integer, errors integer, total_tokens bigint,
        cost_usd double precision, op_names text[], events integer, state json)
      on conflict (request_id) do update set
        started_at = excluded.started_at, ended_at = excluded.ended_at,
        started_ms = excluded.started_ms, ended_ms = excluded.ended_ms,
        duration_ms = excluded.duration_ms, status = excluded.status, ops = excluded.ops,
        errors = excluded.errors, total_tokens = excluded.total_tokens,
        cost_usd = excluded.cost_usd, op_names = excluded.op_names, events = excluded.events,
        state = excluded.state)
    insert into trace_store.usage
      (request_id, model, started_ms, input_tokens, output_tokens, total_tokens, cost_usd, calls)
    select * from json_to_recordset(${json(usage)}::json) as batch(
      request_id text, model text, started_ms bigint, input_tokens bigint, output_tokens bigint,
      total_tokens bigint, cost_usd double precision, calls integer)
    on conflict (request_id, model) do update set
      started_ms = excluded.started_ms, input_tokens = excluded.input_tokens,
      output_tokens = excluded.output_tokens, total_tokens = excluded.total_tokens,
      cost_usd = excluded.cost_usd, calls = excluded.calls`.execute(trx);
}

/** JSON whose non-finite costs survive: as the strings double precision reads back. */
function json(rows: readonly (TraceRecord | UsageRecord)[]): string {
  return JSON.stringify(
    rows.map((row) =>
      Number.isFinite(row.cost_usd) ? row : { ...row, cost_usd: String(row.cost_usd) },
    ),
  );
}
