import { type KindOf } from '@runlog/contracts';
import { addExact, exactValue } from './exact-sum';
import {
  amount,
  compareText,
  containerName,
  isGroupKind,
  opEndStatus,
  roundCost,
  text,
  type TraceEventRow,
  type TraceStatus,
  type UsageTotals,
} from './trace-model';

// A trace's summary and usage kept incrementally (docs/decisions.md D19): what the pure
// model computes from all of a trace's events (traceSummary, traceUsage), folded one batch
// of newly stored events at a time. Counts, bounds, op names and usage sums do not depend on
// order (costs are summed exactly). Only "is a span or group still open" does: it is kept
// per (type, name, ctx) as the number of unended containers, which newly stored markers can
// extend only when they sort after every marker folded so far; otherwise the caller replays
// all the trace's stored markers.

/**
 * A trace event as the aggregate reads it: the stored row with its cursor and timestamp
 * as numbers, for ordering. Its payload needs only what the summary reads (status, name,
 * model, token and cost fields).
 */
export interface AggregateEvent extends Omit<TraceEventRow, 'cursor' | 'timestamp' | 'extensions'> {
  /** The stream sequence it was first stored at. */
  readonly cursor: number;
  /** Epoch ms of its timestamp. */
  readonly ts_ms: number;
}

/** Where an event sorts in its trace (the model's order): timestamp, seq, cursor, event_id. */
export type OrderKey = readonly [tsMs: number, seq: number, cursor: number, eventId: string];

/** One model's llm_usage: integer sums, and the cost as exact partials. */
export interface ModelUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly calls: number;
  readonly cost: readonly number[];
}

/** Everything a trace's summary row and usage rows are drawn from. */
export interface TraceAggregate {
  readonly started_ms: number;
  readonly ended_ms: number;
  readonly events: number;
  /** op_start events. */
  readonly ops: number;
  /** op_end events with status error, and with status cancelled. */
  readonly errors: number;
  readonly cancelled: number;
  /** Distinct op_name of op events, sorted (code unit order). */
  readonly op_names: readonly string[];
  /** Unended spans and groups per container key; keys with none are left out. */
  readonly open: ReadonlyMap<string, number>;
  /** The latest span or group marker folded so far; null before the first. */
  readonly last: OrderKey | null;
  readonly usage: ReadonlyMap<string, ModelUsage>;
}

/** The summary row of a trace, as the model's traceSummary reads it. */
export interface AggregateSummary {
  readonly started_ms: number;
  readonly ended_ms: number;
  readonly duration_ms: number;
  readonly status: TraceStatus;
  readonly ops: number;
  readonly errors: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
  readonly op_names: readonly string[];
  readonly events: number;
}

export function orderOf(event: AggregateEvent): OrderKey {
  return [event.ts_ms, event.seq, event.cursor, event.event_id];
}

export function compareOrder(a: OrderKey, b: OrderKey): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || compareText(a[3], b[3]);
}

/** op_start / op_end / group_start / group_end: the events that open and close containers. */
export function isMarker(kind: KindOf<'trace'>): boolean {
  return kind === 'op_start' || kind === 'op_end' || isGroupKind(kind);
}

/**
 * Whether `fresh` (events stored for the first time) can be folded into `previous` as they
 * are: every marker among them sorts after the latest marker folded so far. When not, the
 * open containers must be replayed from all stored markers (`addEvents`' `markers`).
 */
export function extendsInOrder(
  previous: TraceAggregate | undefined,
  fresh: readonly AggregateEvent[],
): boolean {
  const last = previous?.last;
  if (!last) return true;
  return fresh.every((event) => !isMarker(event.kind) || compareOrder(orderOf(event), last) > 0);
}

/**
 * `previous` (undefined for a trace not seen yet) with `fresh` events added: each must be
 * stored for the first time, so none counts twice. `markers`, when given, are all the
 * trace's stored markers (the fresh ones included): the open containers are then replayed
 * from them instead of extended, as they must be when `extendsInOrder` is false. From
 * nothing, `addEvents(undefined, all)` is the aggregate of a whole trace.
 */
export function addEvents(
  previous: TraceAggregate | undefined,
  fresh: readonly AggregateEvent[],
  markers?: readonly AggregateEvent[],
): TraceAggregate {
  let { started_ms, ended_ms, ops, errors, cancelled } = previous ?? EMPTY;
  const names = new Set(previous?.op_names);
  const usage = new Map(previous?.usage);
  for (const event of fresh) {
    started_ms = Math.min(started_ms, event.ts_ms);
    ended_ms = Math.max(ended_ms, event.ts_ms);
    if (!isGroupKind(event.kind)) names.add(containerName(event));
    if (event.kind === 'op_start') ops += 1;
    else if (event.kind === 'op_end') {
      const status = opEndStatus(event);
      if (status === 'error') errors += 1;
      else if (status === 'cancelled') cancelled += 1;
    } else if (event.kind === 'llm_usage') {
      const model = text(event.payload, 'model');
      usage.set(model, addUsage(usage.get(model) ?? NO_USAGE, event.payload));
    }
  }
  const known = previous?.op_names;
  const op_names = known && names.size === known.length ? known : [...names].sort(compareText);
  const containers = markers
    ? foldMarkers(new Map(), null, markers)
    : foldMarkers(
        new Map(previous?.open),
        previous?.last ?? null,
        fresh.filter((event) => isMarker(event.kind)),
      );
  return {
    started_ms,
    ended_ms,
    events: (previous?.events ?? 0) + fresh.length,
    ops,
    errors,
    cancelled,
    op_names,
    ...containers,
    usage,
  };
}

/** The model's trace status: error, else open, else cancelled, else ok (traceStatus). */
export function statusOf(aggregate: TraceAggregate): TraceStatus {
  if (aggregate.errors > 0) return 'error';
  if (aggregate.open.size > 0) return 'open';
  return aggregate.cancelled > 0 ? 'cancelled' : 'ok';
}

/** The summary row: what traceSummary answers for the same events. */
export function summaryOf(aggregate: TraceAggregate): AggregateSummary {
  let total_tokens = 0;
  let cost: number[] = [];
  for (const model of aggregate.usage.values()) {
    total_tokens += model.total_tokens;
    for (const part of model.cost) cost = addExact(cost, part);
  }
  return {
    started_ms: aggregate.started_ms,
    ended_ms: aggregate.ended_ms,
    duration_ms: aggregate.ended_ms - aggregate.started_ms,
    status: statusOf(aggregate),
    ops: aggregate.ops,
    errors: aggregate.errors,
    total_tokens,
    cost_usd: roundCost(exactValue(cost)),
    op_names: aggregate.op_names,
    events: aggregate.events,
  };
}

/** One model's totals, as traceUsage's by_model answers them. */
export function usageTotals(usage: ModelUsage): UsageTotals {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    cost_usd: roundCost(exactValue(usage.cost)),
    calls: usage.calls,
  };
}

/** The key containers pair on, as foldTrace pairs them: type, name and ctx. */
export function containerKey(event: AggregateEvent): string {
  return JSON.stringify([
    isGroupKind(event.kind) ? 'group' : 'op',
    containerName(event),
    event.ctx,
  ]);
}

const EMPTY = {
  started_ms: Number.POSITIVE_INFINITY,
  ended_ms: Number.NEGATIVE_INFINITY,
  ops: 0,
  errors: 0,
  cancelled: 0,
};

const NO_USAGE: ModelUsage = {
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  calls: 0,
  cost: [],
};

function addUsage(usage: ModelUsage, payload: Record<string, unknown>): ModelUsage {
  return {
    prompt_tokens: usage.prompt_tokens + amount(payload, 'prompt_tokens'),
    completion_tokens: usage.completion_tokens + amount(payload, 'completion_tokens'),
    total_tokens: usage.total_tokens + amount(payload, 'total_tokens'),
    calls: usage.calls + 1,
    cost: addExact(usage.cost, amount(payload, 'cost_usd')),
  };
}

/**
 * Extends the unended containers per key with markers sorting after `last`: a start opens
 * one, an end closes the innermost open one of its key, if any (foldTrace's LIFO pairing;
 * only the count of unended ones matters here).
 */
function foldMarkers(
  open: Map<string, number>,
  last: OrderKey | null,
  markers: readonly AggregateEvent[],
): { open: ReadonlyMap<string, number>; last: OrderKey | null } {
  const ordered = markers
    .map((event) => ({ event, order: orderOf(event) }))
    .sort((a, b) => compareOrder(a.order, b.order));
  for (const { event } of ordered) {
    const key = containerKey(event);
    const count = open.get(key) ?? 0;
    if (event.kind === 'op_start' || event.kind === 'group_start') open.set(key, count + 1);
    else if (count > 1) open.set(key, count - 1);
    else open.delete(key);
  }
  return { open, last: ordered.at(-1)?.order ?? last };
}
