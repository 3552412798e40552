import { type Paint, PLAIN } from '../output';

// Draws the `GET /v1/traces/{id}/tree` answer of trace-store (DESIGN.md §4) as a terminal
// tree. Only the fields drawn are typed: the CLI reads the HTTP contract, not the service.

export interface UsageView {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
  readonly calls: number;
}

export interface TreeNodeView {
  readonly type: 'op' | 'group';
  readonly name: string;
  readonly ctx: readonly string[];
  readonly status: string;
  readonly duration_ms: number | null;
  readonly yield_count: number;
  readonly usage: UsageView | null;
  readonly children: readonly TreeNodeView[];
}

export interface TraceTreeView {
  readonly request_id: string;
  readonly started_at: string;
  readonly duration_ms: number | null;
  readonly status: string;
  readonly roots: readonly TreeNodeView[];
  readonly unattached?: {
    readonly usage: readonly unknown[];
    readonly annotations: readonly unknown[];
    readonly media: readonly unknown[];
  };
  /** Present when trace-store cut the tree at one of its limits. */
  readonly truncated?: boolean;
  readonly truncated_by?: string;
  readonly node_limit?: number;
  readonly omitted?: number;
}

/** Whether a JSON body has the shape of a tree answer (enough to draw it). */
export function isTraceTree(body: unknown): body is TraceTreeView {
  if (typeof body !== 'object' || body === null) return false;
  const { request_id: id, roots } = body as { request_id?: unknown; roots?: unknown };
  return typeof id === 'string' && Array.isArray(roots);
}

/**
 * The lines of a trace tree: a header with the trace's status and duration, then each node
 * as `name  status  duration  [usage]` under `├─`/`└─` branches; a last line when the tree
 * was cut at a limit of trace-store.
 */
export function drawTree(tree: TraceTreeView, paint: Paint = PLAIN): string[] {
  const lines = [
    [
      paint.bold(`trace ${tree.request_id}`),
      status(tree.status, paint),
      duration(tree.duration_ms),
      paint.dim(tree.started_at),
    ].join('  '),
  ];
  const walk = (nodes: readonly TreeNodeView[], indent: string): void => {
    nodes.forEach((node, at) => {
      const last = at === nodes.length - 1;
      lines.push(`${indent}${last ? '└─ ' : '├─ '}${label(node, paint)}`);
      walk(node.children, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  walk(tree.roots, '');
  const unattached = tree.unattached;
  if (unattached) {
    const counts = [
      [unattached.usage.length, 'llm_usage'],
      [unattached.annotations.length, 'annotation'],
      [unattached.media.length, 'media_ref'],
    ] as const;
    const kept = counts.filter(([count]) => count > 0).map(([count, kind]) => `${count} ${kind}`);
    if (kept.length > 0)
      lines.push(paint.yellow(`unattached (no span of their op and ctx): ${kept.join(', ')}`));
  }
  if (tree.truncated === true) {
    const limit =
      tree.truncated_by === 'nodes' ? `${tree.node_limit ?? '?'} nodes` : tree.truncated_by;
    lines.push(
      paint.yellow(
        `truncated at the ${limit ?? 'tree'} limit: ${tree.omitted ?? '?'} later event(s) not shown`,
      ),
    );
  }
  return lines;
}

function label(node: TreeNodeView, paint: Paint): string {
  const name = node.type === 'group' ? `${paint.dim('group')} ${node.name}` : paint.bold(node.name);
  const parts = [name, status(node.status, paint), duration(node.duration_ms)];
  if (node.ctx.length > 1) parts.push(paint.dim(`ctx ${node.ctx.join('/')}`));
  if (node.yield_count > 0) parts.push(`${node.yield_count} yield(s)`);
  if (node.usage) parts.push(paint.cyan(usage(node.usage)));
  return parts.join('  ');
}

function status(value: string, paint: Paint): string {
  if (value === 'ok') return paint.green(value);
  if (value === 'error') return paint.red(value);
  return paint.yellow(value); // open, cancelled, truncated
}

function duration(ms: number | null): string {
  return ms === null ? '-' : `${Math.round(ms * 10) / 10} ms`;
}

function usage(totals: UsageView): string {
  const calls = totals.calls === 1 ? '' : `, ${totals.calls} calls`;
  return (
    `${totals.total_tokens} tokens (${totals.prompt_tokens} in, ${totals.completion_tokens} out${calls})` +
    `  $${Number(totals.cost_usd.toPrecision(3))}`
  );
}
