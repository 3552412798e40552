import {
  foldTrace,
  type TraceEventRow,
  type TraceStatus,
  traceBounds,
  traceStatus,
  type UsageTotals,
} from './trace-model';
import { TreeBuilder, type TreeLimits } from './tree-builder';

// The `tree` response of DESIGN.md §4: its types, and the tree of rows held in memory. The
// pass that draws it is tree-builder.ts. Pure: no NestJS, NATS or SQL.

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

/**
 * Present on a tree cut short (tree-builder.ts): the first entry past a limit and every
 * later one are left out, while the nodes kept still show their ends, usage and yields.
 */
export interface TreeTruncation {
  readonly truncated: true;
  /** The limit that cut it: entries (`node_limit`), nesting depth, or text. */
  readonly truncated_by: 'nodes' | 'depth' | 'text';
  /** RUNLOG_TRACE_TREE_MAX_NODES: spans, groups, annotations, media and unattached entries. */
  readonly node_limit: number;
  /** Events from the cut on that the tree does not show. */
  readonly omitted: number;
}

/** The `tree` response of DESIGN.md §4, plus the unattached events; truncation when cut. */
export interface TraceTree extends Partial<TreeTruncation> {
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
 * Without `limits` nothing is cut.
 */
export function buildTree(
  requestId: string,
  rows: readonly TraceEventRow[],
  limits?: TreeLimits,
): TraceTree | undefined {
  const fold = foldTrace(rows);
  const bounds = traceBounds(fold.ordered);
  if (bounds === undefined) return undefined;
  const builder = new TreeBuilder(limits);
  for (const row of fold.ordered) builder.add(row);
  return { request_id: requestId, ...bounds, status: traceStatus(fold), ...builder.finish() };
}
