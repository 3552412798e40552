import { type Extensions, type KindOf, OP_END_STATUSES } from '@runlog/contracts';
import { exactSum } from './exact-sum';

// The events of one trace folded into spans and groups (DESIGN.md §3 "trace", §4 "trace",
// "usage", "trace search"): their order, the warnings, the usage and the summary. Pure: no
// NestJS, NATS or SQL, so the store, its HTTP answers, a replay and the tests share one
// reading. The tree (§4 "tree") is drawn from the same fold in trace-tree.ts.
// Each reading the DESIGN leaves open is decided in the comment of the function applying it.

/** One stored trace event: its stream sequence (the cursor) and its data, deduped by event_id. */
export interface TraceEventRow {
  /** JetStream stream sequence, as a decimal string. */
  readonly cursor: string;
  readonly event_id: string;
  readonly kind: KindOf<'trace'>;
  /** Null only for group markers. */
  readonly op_name: string | null;
  readonly ctx: readonly string[];
  /** RFC 3339 UTC with milliseconds (normalised by the caller). */
  readonly timestamp: string;
  readonly seq: number;
  readonly payload: Record<string, unknown>;
  /** The event's CloudEvents extension attributes; absent when it had none. */
  readonly extensions?: Extensions;
}

/** A stable code for a broken trace rule; the events are kept all the same. */
export const TRACE_WARNING_CODES = [
  'usage_after_op_end',
  'op_end_without_start',
  'seq_gap',
] as const;
export type TraceWarningCode = (typeof TRACE_WARNING_CODES)[number];

/** A broken rule, flagged at the event that broke it (a seq gap: the event after the hole). */
export interface TraceWarning {
  readonly code: TraceWarningCode;
  readonly message: string;
  readonly event_id?: string;
  readonly cursor?: string;
}

/** Summed llm_usage; `calls` counts the llm_usage events. */
export interface UsageTotals {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
  readonly calls: number;
}

/** The `usage` response of DESIGN.md §4. */
export interface TraceUsage {
  readonly request_id: string;
  readonly total: UsageTotals;
  /** Sorted by model name (code unit order); the first USAGE_MODELS_CAP models only. */
  readonly by_model: readonly (UsageTotals & { readonly model: string })[];
  /** Models in the total but not in by_model (absent when none). */
  readonly by_model_omitted?: number;
}

/** The status of a whole trace (see traceStatus for the rule). */
export type TraceStatus = 'ok' | 'error' | 'cancelled' | 'open';

/** One trace in the `trace search` response of DESIGN.md §4, plus the op names it ran. */
export interface TraceSummary {
  readonly request_id: string;
  readonly started_at: string;
  readonly ended_at: string;
  readonly duration_ms: number;
  readonly status: TraceStatus;
  /** op_start events (one per span). */
  readonly ops: number;
  /** op_end events with status error. */
  readonly errors: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
  /** Distinct op_name of every op event (not group markers), sorted. */
  readonly op_names: readonly string[];
}

/**
 * The rows in DESIGN order, as a new array: timestamp (epoch ms), then seq, then cursor
 * compared as a number; event_id last so even malformed input sorts one way.
 */
export function orderEvents(rows: readonly TraceEventRow[]): TraceEventRow[] {
  return [...rows].sort(
    (a, b) =>
      epochMs(a.timestamp) - epochMs(b.timestamp) ||
      a.seq - b.seq ||
      compareDecimal(a.cursor, b.cursor) ||
      compareText(a.event_id, b.event_id),
  );
}

/**
 * The broken rules of one trace (DESIGN.md §4 "warnings"): usage_after_op_end and
 * op_end_without_start in event order, then one seq_gap per hole in the seq values (expected
 * contiguous from the smallest seen), by seq.
 */
export function traceWarnings(rows: readonly TraceEventRow[]): TraceWarning[] {
  const fold = foldTrace(rows);
  return [...fold.warnings, ...seqGaps(fold.ordered)];
}

/** The `usage` response of one trace: all its llm_usage events, attached or not. */
export function traceUsage(requestId: string, rows: readonly TraceEventRow[]): TraceUsage {
  const usage = orderEvents(rows).filter((row) => row.kind === 'llm_usage');
  const models = new Map<string, TraceEventRow[]>();
  for (const row of usage) listIn(models, text(row.payload, 'model')).push(row);
  const by_model = [...models.keys()]
    .sort(compareText)
    .map((model) => ({ model, ...sumUsage(models.get(model) ?? []) }));
  return { request_id: requestId, total: sumUsage(usage), by_model };
}

/** The search entry of one trace; undefined when it has no event (an unknown id). */
export function traceSummary(
  requestId: string,
  rows: readonly TraceEventRow[],
): TraceSummary | undefined {
  const fold = foldTrace(rows);
  const bounds = traceBounds(fold.ordered);
  if (bounds === undefined) return undefined;
  const count = (kind: KindOf<'trace'>, status?: string): number =>
    fold.ordered.filter((r) => r.kind === kind && (!status || opEndStatus(r) === status)).length;
  const total = sumUsage(fold.ordered.filter((row) => row.kind === 'llm_usage'));
  const names = fold.ordered.flatMap((r) => (isGroupKind(r.kind) ? [] : [opName(r)]));
  return {
    request_id: requestId,
    ...bounds,
    status: traceStatus(fold),
    ops: count('op_start'),
    errors: count('op_end', 'error'),
    total_tokens: total.total_tokens,
    cost_usd: total.cost_usd,
    op_names: [...new Set(names)].sort(compareText),
  };
}

// Shared with trace-tree.ts: the fold into spans and groups, and the readers of payloads.

/**
 * A span (op_start to op_end of one (op_name, ctx)) or a group (group_start to group_end of
 * one payload name and ctx), with the events attached to it. Positions index the ordered
 * events, so "open at position p" is `start_at < p` and no end before p.
 */
export interface Container {
  readonly type: 'op' | 'group';
  /** The op_name of a span, the payload name of a group. */
  readonly name: string;
  readonly op_name: string | null;
  readonly ctx: readonly string[];
  readonly start: TraceEventRow;
  readonly start_at: number;
  readonly end: TraceEventRow | undefined;
  readonly end_at: number | undefined;
  /** op_yield events attached. */
  readonly yields: number;
  readonly usage: readonly TraceEventRow[];
  readonly annotations: readonly TraceEventRow[];
  readonly media: readonly TraceEventRow[];
}

/** The spans and groups of one trace, from foldTrace. */
export interface TraceFold {
  readonly ordered: readonly TraceEventRow[];
  /** In start order. */
  readonly containers: readonly Container[];
  /** usage_after_op_end and op_end_without_start, in event order. */
  readonly warnings: readonly TraceWarning[];
  /** llm_usage, annotation and media_ref events with no span of their (op_name, ctx). */
  readonly unattached: readonly TraceEventRow[];
}

/**
 * Pairs the ordered events into spans and groups and attaches the rest. Spans pair LIFO per
 * (op_name, ctx): a second op_start while one is open is a new, nested span and the next
 * op_end closes the innermost. An event that belongs to a span goes to the innermost open
 * span of its (op_name, ctx), else to the most recently started one, which has ended (an
 * llm_usage there is usage_after_op_end), else nowhere: usage, annotations and media are
 * then listed as unattached, an op_yield only stays in the event list. Groups pair the same
 * way on (payload name, ctx); a group_end with no open group is no node and, having no
 * warning code, is not flagged.
 */
export function foldTrace(rows: readonly TraceEventRow[]): TraceFold {
  const ordered = orderEvents(rows);
  const containers: Draft[] = [];
  const openSpans = new Map<string, Draft[]>();
  const openGroups = new Map<string, Draft[]>();
  const latestSpan = new Map<string, Draft>();
  const warnings: TraceWarning[] = [];
  const unattached: TraceEventRow[] = [];
  const flag = (code: TraceWarningCode, row: TraceEventRow, message: string): void => {
    warnings.push({ code, message, event_id: row.event_id, cursor: row.cursor });
  };
  ordered.forEach((row, at) => {
    const group = isGroupKind(row.kind);
    const name = containerName(row);
    const key = JSON.stringify([name, row.ctx]);
    const stack = listIn(group ? openGroups : openSpans, key);
    switch (row.kind) {
      case 'op_start':
      case 'group_start': {
        const draft = newDraft(row, at, name);
        containers.push(draft);
        stack.push(draft);
        if (!group) latestSpan.set(key, draft);
        return;
      }
      case 'op_end':
      case 'group_end': {
        const closed = stack.pop();
        if (closed !== undefined) {
          closed.end = row;
          closed.end_at = at;
        } else if (!group) {
          flag('op_end_without_start', row, WARNING_MESSAGES.op_end_without_start(row));
        }
        return;
      }
      default: {
        const span = stack.at(-1) ?? latestSpan.get(key);
        if (span === undefined) {
          if (row.kind !== 'op_yield') unattached.push(row);
          return;
        }
        if (row.kind === 'op_yield') span.yields += 1;
        else if (row.kind === 'llm_usage') span.usage.push(row);
        else if (row.kind === 'annotation') span.annotations.push(row);
        else span.media.push(row);
        if (row.kind === 'llm_usage' && span.end !== undefined) {
          flag('usage_after_op_end', row, WARNING_MESSAGES.usage_after_op_end(row, span.end));
        }
      }
    }
  });
  return { ordered, containers, warnings, unattached };
}

/**
 * The status of a whole trace (the tree and the summary): 'error' if any op_end says error
 * (an unpaired one too: the error happened), else 'open' if any span or group has no end,
 * else 'cancelled' if any op_end says cancelled, else 'ok'. A truncated group is not a failure.
 */
export function traceStatus(fold: TraceFold): TraceStatus {
  const ends = fold.ordered.filter((row) => row.kind === 'op_end').map(opEndStatus);
  if (ends.includes('error')) return 'error';
  if (fold.containers.some((c) => c.end === undefined)) return 'open';
  return ends.includes('cancelled') ? 'cancelled' : 'ok';
}

/**
 * First and last event time of ordered events and the ms between (the last event so far when
 * the trace is still open); undefined without events.
 */
export function traceBounds(
  ordered: readonly TraceEventRow[],
): { started_at: string; ended_at: string; duration_ms: number } | undefined {
  const first = ordered[0];
  const last = ordered.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const duration_ms = msBetween(first.timestamp, last.timestamp) ?? 0;
  return { started_at: first.timestamp, ended_at: last.timestamp, duration_ms };
}

/**
 * Sums llm_usage events. Tokens are integers (ingest checks them), so their sum is exact in
 * any order; costs are summed exactly too (exact-sum.ts), so no order of arrival or split
 * into batches changes a bit, then rounded to 1e-9 USD so float noise never shows.
 */
export function sumUsage(rows: readonly Pick<TraceEventRow, 'payload'>[]): UsageTotals {
  const sum = (field: string): number => rows.reduce((s, r) => s + amount(r.payload, field), 0);
  return {
    prompt_tokens: sum('prompt_tokens'),
    completion_tokens: sum('completion_tokens'),
    total_tokens: sum('total_tokens'),
    cost_usd: roundCost(exactSum(rows.map((row) => amount(row.payload, 'cost_usd')))),
    calls: rows.length,
  };
}

/** A cost in USD rounded to 1e-9, as every answer shows it. */
export function roundCost(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

/**
 * The status an op_end reports. Ingest admits only ok|error|cancelled; anything else could
 * only come from a row written around ingest and reads as 'ok' rather than throwing.
 */
export function opEndStatus(row: Pick<TraceEventRow, 'payload'>): (typeof OP_END_STATUSES)[number] {
  return OP_END_STATUSES.find((s) => s === row.payload['status']) ?? 'ok';
}

/** Milliseconds from one RFC 3339 instant to another; null when either names no instant. */
export function msBetween(from: string, to: string): number | null {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : null;
}

/** A finite number field of a payload, or undefined. */
export function finite(payload: Record<string, unknown>, field: string): number | undefined {
  const value = payload[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A string field of a payload; '' when absent (ingest requires the fields read this way). */
export function text(payload: Record<string, unknown>, field: string): string {
  const value = payload[field];
  return typeof value === 'string' ? value : '';
}

/** The name events pair on: a group marker's payload name, else the op_name. */
export function containerName(row: Pick<TraceEventRow, 'kind' | 'op_name' | 'payload'>): string {
  return isGroupKind(row.kind) ? text(row.payload, 'name') : opName(row);
}

/** A Container while the fold still fills it. */
interface Draft extends Omit<Container, 'end' | 'end_at' | 'yields'> {
  end: TraceEventRow | undefined;
  end_at: number | undefined;
  yields: number;
  readonly usage: TraceEventRow[];
  readonly annotations: TraceEventRow[];
  readonly media: TraceEventRow[];
}

function newDraft(row: TraceEventRow, at: number, name: string): Draft {
  const group = row.kind === 'group_start';
  // A group marker may carry an op_name; a group node has none (DESIGN §4 "tree").
  return {
    type: group ? 'group' : 'op',
    name,
    op_name: group ? null : name,
    ctx: row.ctx,
    start: row,
    start_at: at,
    end: undefined,
    end_at: undefined,
    yields: 0,
    usage: [],
    annotations: [],
    media: [],
  };
}

/** One seq_gap per hole between the distinct seq values, at the first event after it. */
function seqGaps(ordered: readonly TraceEventRow[]): TraceWarning[] {
  const firstOfSeq = new Map<number, TraceEventRow>();
  for (const row of ordered) if (!firstOfSeq.has(row.seq)) firstOfSeq.set(row.seq, row);
  const bySeq = [...firstOfSeq.values()].sort((a, b) => a.seq - b.seq);
  return bySeq.slice(1).flatMap((row, i): TraceWarning[] => {
    const before = bySeq[i]?.seq ?? row.seq;
    if (row.seq - before < 2) return [];
    const message = WARNING_MESSAGES.seq_gap(before, row.seq);
    return [{ code: 'seq_gap', message, event_id: row.event_id, cursor: row.cursor }];
  });
}

/** The list under a key, created empty on first use. */
function listIn<T>(lists: Map<string, T[]>, key: string): T[] {
  const list = lists.get(key) ?? [];
  lists.set(key, list);
  return list;
}

export function isGroupKind(kind: KindOf<'trace'>): boolean {
  return kind === 'group_start' || kind === 'group_end';
}

/** The op_name of an op event ('' if a row lacks one: ingest requires it). */
function opName(row: Pick<TraceEventRow, 'op_name'>): string {
  return row.op_name ?? '';
}

type Described = Pick<TraceEventRow, 'op_name' | 'ctx'>;

function describe(row: Described): string {
  return `${opName(row)} in ${JSON.stringify(row.ctx)}`;
}

/** The message of each warning code, one wording wherever a warning is computed. */
export const WARNING_MESSAGES = {
  op_end_without_start: (row: Described): string =>
    `op_end of ${describe(row)} with no open op_start`,
  usage_after_op_end: (row: Described, end: Pick<TraceEventRow, 'cursor'>): string =>
    `llm_usage of ${describe(row)} after its op_end at cursor ${end.cursor}`,
  /** `before` and `seq` are consecutive distinct seq values, at least 2 apart. */
  seq_gap: (before: number, seq: number): string => {
    const missing = seq - before === 2 ? `${before + 1}` : `${before + 1}..${seq - 1}`;
    return `seq ${missing} missing between ${before} and ${seq}`;
  },
} as const satisfies Record<TraceWarningCode, (...args: never[]) => string>;

/** A token or cost amount; a missing or non-finite one counts 0. */
export function amount(payload: Record<string, unknown>, field: string): number {
  return finite(payload, field) ?? 0;
}

/** Epoch ms of a timestamp; one naming no instant sorts after all others. */
function epochMs(timestamp: string): number {
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** Compares decimal strings by value without Number's 2^53 limit (cursors are uint64). */
function compareDecimal(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length - y.length || compareText(x, y);
}

/** Code unit order: locale-independent, so every host sorts alike. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
