import { type ModelUsage, type OrderKey, type TraceAggregate } from '../trace/trace-aggregate';

// How a trace's aggregate (trace-aggregate.ts) is kept between batches: the counts and bounds
// search reads are columns of trace_store.traces; the rest, which only the projection reads,
// is the row's `state` (jsonb). A row without state (written before migration 0002), with a
// version this code does not know, or whose counts moved on without it is rebuilt from the
// trace's stored events.

/** The `state` column of trace_store.traces. */
export interface StoredTraceState {
  readonly v: typeof STATE_VERSION;
  /** The events folded into it: a row whose `events` differ was written by code that does
   * not keep the state (a replica from before 0002, during a rolling upgrade). */
  readonly events: number;
  readonly cancelled: number;
  /** [container key, unended containers], only keys with some. */
  readonly open: readonly (readonly [string, number])[];
  /** The latest span or group marker folded: [ts_ms, seq, cursor, event_id]. */
  readonly last: OrderKey | null;
  readonly usage: readonly StoredModelUsage[];
}

/** One model's usage; a cost partial past the finite range is written as a string. */
export interface StoredModelUsage extends Omit<ModelUsage, 'cost'> {
  readonly model: string;
  readonly cost: readonly (number | string)[];
}

/** The columns of a traces row the aggregate is read from. */
export interface StoredAggregateRow {
  readonly started_ms: string | number | bigint;
  readonly ended_ms: string | number | bigint;
  readonly events: number;
  readonly ops: number;
  readonly errors: number;
  readonly op_names: readonly string[];
  readonly state: StoredTraceState | null;
}

const STATE_VERSION = 1;

/** The aggregate a row holds; undefined when it has to be rebuilt from the events. */
export function readAggregate(row: StoredAggregateRow): TraceAggregate | undefined {
  const { state } = row;
  if (state === null || state.v !== STATE_VERSION || state.events !== row.events) return undefined;
  return {
    started_ms: Number(row.started_ms),
    ended_ms: Number(row.ended_ms),
    events: row.events,
    ops: row.ops,
    errors: row.errors,
    cancelled: state.cancelled,
    op_names: row.op_names,
    open: new Map(state.open),
    last: state.last,
    usage: new Map(
      state.usage.map(({ model, cost, ...sums }) => [model, { ...sums, cost: cost.map(Number) }]),
    ),
  };
}

/** The `state` column for an aggregate. */
export function writeState(aggregate: TraceAggregate): StoredTraceState {
  return {
    v: STATE_VERSION,
    events: aggregate.events,
    cancelled: aggregate.cancelled,
    open: [...aggregate.open],
    last: aggregate.last,
    usage: [...aggregate.usage].map(([model, usage]) => ({
      model,
      ...usage,
      cost: usage.cost.map((part) => (Number.isFinite(part) ? part : String(part))),
    })),
  };
}
