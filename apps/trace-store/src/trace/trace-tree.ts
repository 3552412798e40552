import { GROUP_END_STATUSES } from '@runlog/contracts';
import {
  type Container,
  type TraceEventRow,
  type TraceStatus,
  type UsageTotals,
  finite,
  foldTrace,
  msBetween,
  opEndStatus,
  sumUsage,
  text,
  traceBounds,
  traceStatus,
} from './trace-model';

// The `tree` response of DESIGN.md §4, drawn from the spans and groups of trace-model.ts.
// Pure: no NestJS, NATS or SQL.

/** A node's status: an op's op_end status, a group's group_end status, or 'open' without an end. */
export type NodeStatus = 'ok' | 'error' | 'cancelled' | 'truncated' | 'open';

/** An annotation on a span, in event order. */
export interface NodeAnnotation {
  readonly key: string;
  readonly value: unknown;
}

/** A media reference on a span, in event order (bytes never travel in events). */
export interface NodeMedia {
  readonly handle: string;
  readonly mime: string;
  readonly size_bytes: number;
}

/** One span (type 'op') or group (type 'group') of the tree. */
export interface TraceNode {
  readonly type: 'op' | 'group';
  /** The op_name of a span (whole, not its last segment), the payload name of a group. */
  readonly name: string;
  /** Null for a group. */
  readonly op_name: string | null;
  readonly ctx: readonly string[];
  readonly status: NodeStatus;
  readonly started_at: string;
  /** Null while open. */
  readonly ended_at: string | null;
  /** Null while open; a span's op_end duration_ms when finite, else the timestamps' difference. */
  readonly duration_ms: number | null;
  /** A span's op_end yield_count when finite, else its op_yield events; 0 for a group. */
  readonly yield_count: number;
  /** Summed llm_usage of the span; null when none. */
  readonly usage: UsageTotals | null;
  readonly annotations: readonly NodeAnnotation[];
  readonly media: readonly NodeMedia[];
  /** In start order. */
  readonly children: readonly TraceNode[];
}

/** Where an event with no span of its (op_name, ctx) came from. */
interface Origin {
  readonly event_id: string;
  readonly op_name: string | null;
  readonly ctx: readonly string[];
}

/**
 * llm_usage, annotation and media_ref events that found no span of their (op_name, ctx)
 * (none had started before them): kept on the tree so no fact is lost, each in event order.
 */
export interface Unattached {
  readonly usage: readonly (Origin & Omit<UsageTotals, 'calls'> & { readonly model: string })[];
  readonly annotations: readonly (Origin & NodeAnnotation)[];
  readonly media: readonly (Origin & NodeMedia)[];
}

/** The `tree` response of DESIGN.md §4, plus the unattached events. */
export interface TraceTree {
  readonly request_id: string;
  /** The earliest event's timestamp. */
  readonly started_at: string;
  /** The latest event's timestamp, even while the trace is open. */
  readonly ended_at: string;
  readonly duration_ms: number;
  /** The rule of traceStatus in trace-model.ts. */
  readonly status: TraceStatus;
  readonly roots: readonly TraceNode[];
  readonly unattached: Unattached;
}

/**
 * The tree of one trace; undefined when it has no event (an unknown id). A node's parent is
 * the innermost container still open at the node's start in (timestamp, seq) order: an open
 * span whose op_name is a dotted prefix of the node's op_name (for a group: any open span)
 * and whose ctx is a prefix of the node's ctx, or an open group of the same ctx; with none,
 * the node is a root. Innermost is the most recently started qualifying container.
 *
 * Dotted prefix is read segment-wise and inclusive: `a` is a dotted prefix of `a`, `a.b` and
 * `a.b.c`, not of `ab`; `a.b` is not one of `a.bc`. Inclusive, because a second op_start of
 * an open (op_name, ctx) is a new span nested in the first (recursion) and only an equal name
 * can hold it; no span is its own parent, since a container is open only after its start.
 * A ctx is a prefix of itself and of its extensions (`["main"]` of `["main","yield_0"]`).
 */
export function buildTree(
  requestId: string,
  rows: readonly TraceEventRow[],
): TraceTree | undefined {
  const fold = foldTrace(rows);
  const bounds = traceBounds(fold.ordered);
  if (bounds === undefined) return undefined;
  const roots: TraceNode[] = [];
  // Containers in start order, each with its node's children list, filled as children start.
  const open: { container: Container; children: TraceNode[] }[] = [];
  for (const container of fold.containers) {
    const at = container.start_at;
    // Once ended before this start, a container stays ended for every later start.
    for (let last = open.at(-1); last && !isOpenAt(last.container, at); last = open.at(-1)) {
      open.pop();
    }
    const parent = open.findLast((o) => isOpenAt(o.container, at) && holds(o.container, container));
    const children: TraceNode[] = [];
    (parent?.children ?? roots).push(toNode(container, children));
    open.push({ container, children });
  }
  return {
    request_id: requestId,
    ...bounds,
    status: traceStatus(fold),
    roots,
    unattached: unattached(fold.unattached),
  };
}

/** Whether a container has not ended by ordered position `at` (it started before). */
function isOpenAt(container: Container, at: number): boolean {
  return container.end_at === undefined || container.end_at > at;
}

/** Whether an open container may be the parent of a node (the rule of buildTree). */
function holds(parent: Container, node: Container): boolean {
  if (parent.type === 'group') {
    return parent.ctx.length === node.ctx.length && ctxPrefix(parent.ctx, node.ctx);
  }
  if (!ctxPrefix(parent.ctx, node.ctx)) return false;
  return node.type === 'group' || dottedPrefix(parent.name, node.name);
}

function ctxPrefix(prefix: readonly string[], ctx: readonly string[]): boolean {
  return prefix.length <= ctx.length && prefix.every((part, i) => part === ctx[i]);
}

function dottedPrefix(prefix: string, name: string): boolean {
  return name === prefix || name.startsWith(`${prefix}.`);
}

/**
 * The node of one container; `children` is filled later. A span's op_end duration_ms and
 * yield_count win when they are finite numbers (the producer measured them); otherwise the
 * timestamps' difference and the attached op_yield events stand in.
 */
function toNode(container: Container, children: TraceNode[]): TraceNode {
  const { start, end } = container;
  const op = container.type === 'op';
  const reported = (field: string): number | undefined =>
    op && end !== undefined ? finite(end.payload, field) : undefined;
  return {
    type: container.type,
    name: container.name,
    op_name: container.op_name,
    ctx: container.ctx,
    status: end === undefined ? 'open' : op ? opEndStatus(end) : groupEndStatus(end),
    started_at: start.timestamp,
    ended_at: end?.timestamp ?? null,
    duration_ms:
      end === undefined
        ? null
        : (reported('duration_ms') ?? msBetween(start.timestamp, end.timestamp)),
    yield_count: reported('yield_count') ?? container.yields,
    usage: container.usage.length === 0 ? null : sumUsage(container.usage),
    annotations: container.annotations.map(annotation),
    media: container.media.map(media),
    children,
  };
}

/**
 * The status a group_end reports. Ingest admits only ok|truncated; anything else could only
 * come from a row written around ingest and reads as 'ok' rather than throwing.
 */
function groupEndStatus(row: TraceEventRow): (typeof GROUP_END_STATUSES)[number] {
  return GROUP_END_STATUSES.find((s) => s === row.payload['status']) ?? 'ok';
}

function annotation(row: TraceEventRow): NodeAnnotation {
  return { key: text(row.payload, 'key'), value: row.payload['value'] ?? null };
}

function media(row: TraceEventRow): NodeMedia {
  const { payload } = row;
  const size_bytes = finite(payload, 'size_bytes') ?? 0;
  return { handle: text(payload, 'handle'), mime: text(payload, 'mime'), size_bytes };
}

function unattached(rows: readonly TraceEventRow[]): Unattached {
  const origin = (row: TraceEventRow): Origin => ({
    event_id: row.event_id,
    op_name: row.op_name,
    ctx: row.ctx,
  });
  const of = (kind: TraceEventRow['kind']) => rows.filter((row) => row.kind === kind);
  return {
    usage: of('llm_usage').map((row) => {
      const { calls: _calls, ...totals } = sumUsage([row]);
      return { ...origin(row), model: text(row.payload, 'model'), ...totals };
    }),
    annotations: of('annotation').map((row) => ({ ...origin(row), ...annotation(row) })),
    media: of('media_ref').map((row) => ({ ...origin(row), ...media(row) })),
  };
}
