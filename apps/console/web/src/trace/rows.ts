import { type TraceEvent, type TraceNode } from '../types';

/** One row of the waterfall: a node of the tree at its depth, with a stable id (its path). */
export interface WaterfallRow {
  /** The child indexes from the root down, `0.2.1`: stable while the tree only grows. */
  readonly id: string;
  readonly node: TraceNode;
  readonly depth: number;
  readonly hasChildren: boolean;
}

/** The rows in tree order (a node, then its children in start order), skipping collapsed subtrees. */
export function visibleRows(
  roots: readonly TraceNode[],
  collapsed: ReadonlySet<string>,
): WaterfallRow[] {
  const rows: WaterfallRow[] = [];
  // Iterative: a tree may nest a thousand levels deep.
  const stack: { node: TraceNode; id: string; depth: number }[] = roots
    .map((node, i) => ({ node, id: String(i), depth: 0 }))
    .reverse();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, id, depth } = item;
    rows.push({ id, node, depth, hasChildren: node.children.length > 0 });
    if (collapsed.has(id)) continue;
    for (let i = node.children.length - 1; i >= 0; i--)
      stack.push({ node: node.children[i]!, id: `${id}.${i}`, depth: depth + 1 });
  }
  return rows;
}

/** The number of nodes in the tree. */
export function countNodes(roots: readonly TraceNode[]): number {
  let count = 0;
  const stack = [...roots];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    count++;
    stack.push(...node.children);
  }
  return count;
}

/**
 * For a big tree, the rows below the second level start collapsed: the page opens on a
 * screenful, and every subtree opens on demand.
 */
export function initiallyCollapsed(roots: readonly TraceNode[], threshold = 500): Set<string> {
  const collapsed = new Set<string>();
  if (countNodes(roots) <= threshold) return collapsed;
  roots.forEach((root, i) =>
    root.children.forEach((child, j) => {
      if (child.children.length > 0) collapsed.add(`${i}.${j}`);
    }),
  );
  return collapsed;
}

const sameCtx = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((part, i) => part === b[i]);

/**
 * The events of one node among those loaded: a span's events share its (op_name, ctx) and
 * fall within its start and end; a group's are its markers.
 */
export function eventsOf(node: TraceNode, events: readonly TraceEvent[]): TraceEvent[] {
  const start = Date.parse(node.started_at);
  const end = node.ended_at === null ? Infinity : Date.parse(node.ended_at);
  return events.filter((event) => {
    if (!sameCtx(event.ctx, node.ctx)) return false;
    const at = Date.parse(event.timestamp);
    if (at < start || at > end) return false;
    if (node.type === 'op') return event.op_name === node.op_name;
    return (
      event.op_name === null &&
      (event.kind === 'group_start' || event.kind === 'group_end') &&
      event.payload['name'] === node.name
    );
  });
}
