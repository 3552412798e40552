import { type Extensions } from '@runlog/contracts';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import {
  type TraceEventRow,
  type TraceStatus,
  type TraceWarning,
  type UsageTotals,
  WARNING_MESSAGES,
} from '../trace/trace-model';
import { type TraceStoreDb } from './trace-store.schema';

// The statements behind trace-store's reads of one trace, each bounded whatever the trace's
// length: events a page (or a chunk) at a time from a keyset position, in the model's order
// (orderEvents: timestamp, seq, cursor, event_id) on the index events_in_order; warnings
// computed by the database, which answers only the first few; the summary row and usage
// rows the projection keeps. No statement brings a whole trace into the service's memory.

type Db = Kysely<TraceStoreDb>;

/** Where an event sorts in its trace: the keyset the reads continue from. */
export interface EventPosition {
  readonly ts_ms: number;
  readonly seq: number;
  readonly cursor: number;
  readonly event_id: string;
}

/**
 * What of each payload a read brings: all of it (a page of events), or only the fields the
 * tree reads (`tree`), and of annotations and media nothing once the tree is cut (`tree-cut`).
 */
export type PayloadShape = 'whole' | 'tree' | 'tree-cut';

export interface EventRead {
  readonly after?: EventPosition;
  /** At most this many events. */
  readonly limit: number;
  /** Fewer when their payloads' JSON passes this many bytes (always at least one event). */
  readonly maxBytes: number;
  readonly payload: PayloadShape;
}

/** Events in order after a position, and whether more follow. */
export interface EventRun {
  readonly events: readonly TraceEventRow[];
  /** The last event's position: where the next read goes on. */
  readonly last: EventPosition | undefined;
  readonly more: boolean;
}

const ORDER = sql`ts_ms, seq, cursor, event_id collate "C"`;

/** The fields of each kind the tree reads (tree-builder.ts); absent ones read as JSON null. */
function treePayload(cut: boolean): RawBuilder<Record<string, unknown>> {
  const attached = cut
    ? sql``
    : sql`
      when 'annotation' then jsonb_build_object('key', payload->'key', 'value', payload->'value')
      when 'media_ref' then jsonb_build_object('handle', payload->'handle',
        'mime', payload->'mime', 'size_bytes', payload->'size_bytes')`;
  // An OTLP span names its parent in inputs.otel (D40): the only op_start field the tree reads.
  return sql<Record<string, unknown>>`case kind
      when 'op_start' then jsonb_build_object('inputs',
        jsonb_build_object('otel', payload->'inputs'->'otel'))
      when 'op_end' then jsonb_build_object('status', payload->'status',
        'duration_ms', payload->'duration_ms', 'yield_count', payload->'yield_count')
      when 'group_start' then jsonb_build_object('name', payload->'name')
      when 'group_end' then jsonb_build_object('name', payload->'name', 'status', payload->'status')
      when 'llm_usage' then jsonb_build_object('model', payload->'model',
        'prompt_tokens', payload->'prompt_tokens', 'completion_tokens', payload->'completion_tokens',
        'total_tokens', payload->'total_tokens', 'cost_usd', payload->'cost_usd')
      ${attached}
      else '{}'::jsonb end`;
}

/** A bigint as the drivers answer it: pg a string, PGlite a number or a bigint. */
type BigIntValue = string | number | bigint;

interface EventRowSql {
  readonly cursor: BigIntValue;
  readonly event_id: string;
  readonly kind: TraceEventRow['kind'];
  readonly op_name: string | null;
  readonly ctx: string[];
  readonly timestamp: string;
  readonly ts_ms: BigIntValue;
  readonly seq: BigIntValue;
  readonly payload: Record<string, unknown>;
  readonly extensions: Extensions | null;
  readonly fetched: BigIntValue;
}

/**
 * One run of a trace's events after `read.after` (from the start without it): an index
 * range scan of `limit + 1` rows, cut by the database to `maxBytes` of payload JSON, so the
 * service holds at most `limit` events and about `maxBytes` (plus one event) of payloads.
 */
export async function readEvents(db: Db, requestId: string, read: EventRead): Promise<EventRun> {
  const { after } = read;
  const payload =
    read.payload === 'whole' ? sql`payload` : treePayload(read.payload === 'tree-cut');
  // A page shows each event's extensions; the tree reads none.
  const extensions = read.payload === 'whole' ? sql`extensions` : sql`null::jsonb`;
  const from = after
    ? sql`and (ts_ms, seq, cursor, event_id collate "C") >
          (${after.ts_ms}::bigint, ${after.seq}::bigint, ${after.cursor}::bigint,
           ${after.event_id}::text collate "C")`
    : sql``;
  const { rows } = await sql<EventRowSql>`
    with page as (
      select cursor, event_id, kind, op_name, ctx, timestamp, ts_ms, seq, ${payload} as payload,
             ${extensions} as extensions
      from trace_store.events
      where request_id = ${requestId} ${from}
      order by ${ORDER}
      limit ${read.limit + 1}),
    sized as (
      select *, count(*) over () as fetched,
        sum(octet_length(payload::text)) over (order by ${ORDER} rows unbounded preceding)
          - octet_length(payload::text) as before
      from page)
    select cursor, event_id, kind, op_name, ctx, timestamp, ts_ms, seq, payload, extensions,
           fetched
    from sized where before < ${read.maxBytes}
    order by ${ORDER}`.execute(db);
  const kept = rows.slice(0, read.limit);
  const lastRow = kept.at(-1);
  return {
    events: kept.map((row): TraceEventRow => ({
      cursor: String(Number(row.cursor)),
      event_id: row.event_id,
      kind: row.kind,
      op_name: row.op_name,
      ctx: row.ctx,
      timestamp: row.timestamp,
      seq: Number(row.seq),
      payload: row.payload,
      ...(row.extensions === null ? {} : { extensions: row.extensions }),
    })),
    last: lastRow && positionOf(lastRow),
    more: Number(rows[0]?.fetched ?? 0) > kept.length,
  };
}

/** The position of the event of a trace stored at `cursor`; undefined when there is none. */
export async function positionAt(
  db: Db,
  requestId: string,
  cursor: number,
): Promise<EventPosition | undefined> {
  const row = await db
    .selectFrom('trace_store.events')
    .select(['ts_ms', 'seq', 'cursor', 'event_id'])
    .where('request_id', '=', requestId)
    .where('cursor', '=', cursor)
    .orderBy(sql`${ORDER}`)
    .limit(1)
    .executeTakeFirst();
  return row && positionOf(row);
}

function positionOf(
  row: Pick<EventRowSql, 'ts_ms' | 'seq' | 'cursor' | 'event_id'>,
): EventPosition {
  return {
    ts_ms: Number(row.ts_ms),
    seq: Number(row.seq),
    cursor: Number(row.cursor),
    event_id: row.event_id,
  };
}

interface WarningRowSql {
  readonly code: TraceWarning['code'];
  readonly event_id: string;
  readonly cursor: BigIntValue;
  readonly op: string | null;
  readonly ctx: string[] | null;
  readonly seq: BigIntValue | null;
  readonly before: BigIntValue | null;
  readonly closer_cursor: BigIntValue | null;
  readonly total: BigIntValue;
}

/**
 * The first `cap` warnings of a trace, as traceWarnings (trace-model.ts) lists them, and how
 * many there are. Computed by the database with window functions over the trace's rows, so
 * the service holds `cap` rows whatever the trace's length. Per (op_name, ctx), with `s` the
 * running sum of op_start (+1) and op_end (-1) in event order, the open spans after an event
 * are `s - min(0, lowest s so far)`: an op_end finding none open is op_end_without_start; an
 * llm_usage finding none open after some op_start is usage_after_op_end, and the op_end of
 * the latest span (LIFO: the first op_end after the latest op_start, a "closer") is the one
 * it came after. About 4 s for a million events on PostgreSQL 15 (NOTES-reads.md).
 */
export async function readWarnings(
  db: Db,
  requestId: string,
  cap: number,
): Promise<{ readonly warnings: readonly TraceWarning[]; readonly total: number }> {
  const { rows } = await sql<WarningRowSql>`
    with ev as (
      select cursor, event_id, kind, coalesce(op_name, '') as op, ctx,
        row_number() over (order by ${ORDER}) as pos
      from trace_store.events
      where request_id = ${requestId} and kind in ('op_start', 'op_end', 'llm_usage')),
    spans as (
      select cursor, event_id, kind, op, ctx, pos,
        sum(case kind when 'op_start' then 1 when 'op_end' then -1 else 0 end) over upto as s,
        max(pos) filter (where kind = 'op_start') over upto as last_start,
        max(pos) filter (where kind = 'op_end') over earlier as last_end_before
      from ev
      window upto as (partition by op, ctx order by pos rows unbounded preceding),
        earlier as (partition by op, ctx order by pos
          rows between unbounded preceding and 1 preceding)),
    depths as (
      select *,
        least(0, min(s) over (partition by op, ctx order by pos
          rows between unbounded preceding and 1 preceding)) as floor_before,
        kind = 'op_end' and last_start > coalesce(last_end_before, 0) as closer
      from spans),
    flagged as (
      -- The latest closer so far, as [pos, cursor]: same window order, so no second sort.
      select *, max(case when closer then array[pos, cursor] end)
        over (partition by op, ctx order by pos rows unbounded preceding) as closer_at
      from depths),
    warned as (
      select 0 as part, pos as at,
        case kind when 'op_end' then 'op_end_without_start' else 'usage_after_op_end' end
          as code,
        event_id, cursor, op, ctx, null::bigint as seq, null::bigint as before,
        closer_at[2] as closer_cursor
      from flagged
      where (kind = 'op_end' and s < floor_before)
        or (kind = 'llm_usage' and last_start is not null and s = floor_before)
      union all
      select 1, seq, 'seq_gap', event_id, cursor, null, null, seq, before, null
      from (
        select seq, event_id, cursor, lag(seq) over (order by seq) as before
        from (
          -- The first event of each seq, in event order (ts_ms, then cursor and event_id).
          select distinct on (seq) seq, event_id, cursor from trace_store.events
          where request_id = ${requestId}
          order by seq, ts_ms, cursor, event_id collate "C") as firsts
      ) as gaps
      where seq - before > 1)
    select code, event_id, cursor, op, ctx, seq, before, closer_cursor, count(*) over () as total
    from warned order by part, at limit ${cap}`.execute(db);
  const warnings = rows.map((row): TraceWarning => {
    const at = { event_id: row.event_id, cursor: String(Number(row.cursor)) };
    const span = { op_name: row.op, ctx: row.ctx ?? [] };
    const message =
      row.code === 'seq_gap'
        ? WARNING_MESSAGES.seq_gap(Number(row.before), Number(row.seq))
        : row.code === 'op_end_without_start'
          ? WARNING_MESSAGES.op_end_without_start(span)
          : WARNING_MESSAGES.usage_after_op_end(span, {
              cursor: String(Number(row.closer_cursor)),
            });
    return { code: row.code, message, ...at };
  });
  return { warnings, total: Number(rows[0]?.total ?? 0) };
}

/** A trace's summary row as the projection keeps it (and search lists it): the tree's header. */
export interface TraceHeader {
  readonly started_at: string;
  readonly ended_at: string;
  readonly duration_ms: number;
  readonly status: TraceStatus;
}

export async function readHeader(db: Db, requestId: string): Promise<TraceHeader | undefined> {
  const row = await db
    .selectFrom('trace_store.traces')
    .select(['started_at', 'ended_at', 'duration_ms', 'status'])
    .where('request_id', '=', requestId)
    .executeTakeFirst();
  return (
    row && {
      started_at: row.started_at,
      ended_at: row.ended_at,
      duration_ms: Number(row.duration_ms),
      status: row.status as TraceStatus,
    }
  );
}

/** What readUsage answers: the trace's totals over every model, and its first models. */
export interface StoredUsage {
  readonly total: UsageTotals;
  /** The first `maxModels` models by name. */
  readonly models: readonly ModelUsageRow[];
  /** Models past `maxModels`, in the total but not listed. */
  readonly omitted: number;
}

/**
 * A trace's usage in one statement: the totals over all its usage rows (window sums, taken
 * before the limit) and the first `maxModels` rows by model name, so a trace that named a
 * million models answers in bounded memory. Undefined when the trace is not stored.
 */
export async function readUsage(
  db: Db,
  requestId: string,
  maxModels: number,
): Promise<StoredUsage | undefined> {
  const { rows } = await sql<{
    total_cost: number;
    model: string | null;
    input_tokens: string | number | null;
    output_tokens: string | number | null;
    total_tokens: string | number | null;
    cost_usd: number | null;
    calls: number | null;
    models: string | number;
    all_input: string | number | null;
    all_output: string | number | null;
    all_total: string | number | null;
    all_calls: string | number | null;
  }>`
    select t.cost_usd as total_cost, u.model, u.input_tokens, u.output_tokens,
           u.total_tokens, u.cost_usd, u.calls,
           count(u.model) over () as models,
           sum(u.input_tokens) over () as all_input,
           sum(u.output_tokens) over () as all_output,
           sum(u.total_tokens) over () as all_total,
           sum(u.calls) over () as all_calls
    from trace_store.traces t
    left join trace_store.usage u on u.request_id = t.request_id
    where t.request_id = ${requestId}
    order by u.model collate "C"
    limit ${maxModels}`.execute(db);
  const first = rows[0];
  if (first === undefined) return undefined;
  const models = rows.flatMap((row): ModelUsageRow[] =>
    row.model === null
      ? []
      : [
          {
            model: row.model,
            prompt_tokens: Number(row.input_tokens),
            completion_tokens: Number(row.output_tokens),
            total_tokens: Number(row.total_tokens),
            cost_usd: Number(row.cost_usd),
            calls: Number(row.calls),
          },
        ],
  );
  return {
    total: {
      prompt_tokens: Number(first.all_input ?? 0),
      completion_tokens: Number(first.all_output ?? 0),
      total_tokens: Number(first.all_total ?? 0),
      // The summary's cost: all costs summed exactly, then rounded, as traceUsage does.
      cost_usd: first.total_cost,
      calls: Number(first.all_calls ?? 0),
    },
    models,
    omitted: Number(first.models) - models.length,
  };
}

/** One model's usage in a trace, named as the API answers it. */
export interface ModelUsageRow extends UsageTotals {
  readonly model: string;
}
