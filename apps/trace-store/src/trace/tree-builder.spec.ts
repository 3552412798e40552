import { type KindOf } from '@runlog/contracts';
import { seeded } from '@runlog/testing';
import { randomTrace } from '../../../../test/trace-store/random-traces';
import { orderEvents, type TraceEventRow } from './trace-model';
import { buildTree, type TraceNode, type TraceTree } from './trace-tree';
import { TreeBuilder, type TreeLimits, UNLIMITED } from './tree-builder';

const MAIN = ['main'];
const T0 = Date.parse('2026-03-01T10:00:00.000Z');

type Step = [KindOf<'trace'>, string | null, Record<string, unknown>?, string[]?];

/** Step i becomes event `e<i>`, seq i, cursor 100 + i, 10 ms apart. */
function rows(steps: readonly Step[]): TraceEventRow[] {
  return steps.map(([kind, op_name, payload = {}, ctx = MAIN], i) => ({
    cursor: String(100 + i),
    event_id: `e${i}`,
    kind,
    op_name,
    ctx,
    timestamp: new Date(T0 + i * 10).toISOString(),
    seq: i,
    payload,
  }));
}

const start = (name: string): Step => ['op_start', name, { inputs: {} }];
const end = (name: string, status = 'ok'): Step => ['op_end', name, { outputs: null, status }];
const usage = (name: string, tokens: number): Step => [
  'llm_usage',
  name,
  { model: 'm', prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens, cost_usd: 0.5 },
];
const note = (name: string, value: unknown): Step => ['annotation', name, { key: 'k', value }];

const limits = (more: Partial<TreeLimits>): TreeLimits => ({ ...UNLIMITED, ...more });

function tree(steps: readonly Step[], limit?: TreeLimits): TraceTree {
  const built = buildTree('req', rows(steps), limit);
  if (!built) throw new Error('no tree');
  return built;
}

/** Nodes in start order (pre-order), each without its children. */
function flat(nodes: readonly TraceNode[]): Omit<TraceNode, 'children'>[] {
  return nodes.flatMap(({ children, ...node }) => [node, ...flat(children)]);
}

/**
 * A cut tree is the whole tree without what started after the cut: each list of nodes is a
 * prefix of the whole tree's (children are in start order), each node kept has its final
 * fields, and its annotations and media are a prefix of the whole node's.
 */
function expectPrefix(kept: readonly TraceNode[], whole: readonly TraceNode[]): void {
  expect(kept.length).toBeLessThanOrEqual(whole.length);
  kept.forEach((node, i) => {
    const full = whole[i]!;
    const fields = (n: TraceNode) => ({ ...n, annotations: [], media: [], children: [] });
    expect(fields(node)).toEqual(fields(full));
    expect(full.annotations.slice(0, node.annotations.length)).toEqual(node.annotations);
    expect(full.media.slice(0, node.media.length)).toEqual(node.media);
    expectPrefix(node.children, full.children);
  });
}

const outline = (nodes: readonly TraceNode[]): unknown[] =>
  nodes.map((n) => [n.name, n.status, outline(n.children)]);

describe('TreeBuilder limits', () => {
  it('cuts at the node limit, keeps the ends and usage of the nodes it holds, and counts what it leaves out', () => {
    const steps: Step[] = [
      start('a'),
      start('a.b'),
      end('a.b'),
      start('a.c'), // the cut: third entry with a limit of 2
      usage('a.c', 5), // to a.c, left out
      end('a.c'),
      usage('a', 7), // to a, kept
      end('a', 'error'),
      start('d'),
      end('d'),
    ];
    const cut = tree(steps, limits({ nodes: 2 }));
    expect(outline(cut.roots)).toEqual([['a', 'error', [['a.b', 'ok', []]]]]);
    expect(cut.roots[0]?.usage).toMatchObject({ total_tokens: 7, calls: 1 });
    expect(cut).toMatchObject({
      truncated: true,
      truncated_by: 'nodes',
      node_limit: 2,
      omitted: 5, // a.c's start, usage and end; d's start and end
    });
    // The header is the whole trace's, as without a limit.
    const whole = tree(steps);
    const header = ({ request_id, started_at, ended_at, duration_ms, status }: TraceTree) => ({
      ...{ request_id, started_at, ended_at, duration_ms, status },
    });
    expect(header(cut)).toEqual(header(whole));
    expect(whole.truncated).toBeUndefined();
    expect(Object.keys(whole)).not.toContain('node_limit');
  });

  it('closes a left-out recursion before the kept spans of the same op', () => {
    const cut = tree(
      [
        start('a'),
        start('a'), // kept: nested in the first (recursion)
        start('a'), // the cut
        usage('a', 1), // to the innermost open span, left out
        end('a', 'cancelled'), // closes the left-out one
        usage('a', 2), // to the innermost open span: the second, kept
        end('a', 'error'), // closes the second
        end('a'), // closes the first
        usage('a', 3), // to the latest started span of (a, main): the left-out one
      ],
      limits({ nodes: 2 }),
    );
    expect(outline(cut.roots)).toEqual([['a', 'ok', [['a', 'error', []]]]]);
    expect(flat(cut.roots).map((n) => n.usage?.total_tokens ?? null)).toEqual([null, 2]);
    expect(cut.omitted).toBe(4);
  });

  it('cuts a tree nested deeper than the depth limit', () => {
    const cut = tree(
      [start('a'), start('a.b'), start('a.b.c'), start('x'), end('a.b.c'), end('a.b'), end('a')],
      limits({ depth: 2 }),
    );
    expect(outline(cut.roots)).toEqual([['a', 'ok', [['a.b', 'ok', []]]]]);
    expect(cut).toMatchObject({ truncated: true, truncated_by: 'depth', omitted: 3 });
  });

  it('cuts at the text limit: an annotation too large is left out, its span kept', () => {
    const big = 'x'.repeat(1000);
    const cut = tree(
      [start('a'), note('a', 'small'), note('a', big), note('a', 'late'), end('a')],
      limits({ text: 200 }),
    );
    expect(cut.roots[0]).toMatchObject({
      status: 'ok',
      annotations: [{ key: 'k', value: 'small' }],
    });
    expect(cut).toMatchObject({ truncated_by: 'text', omitted: 2 });
  });

  it('counts unattached entries against the limit', () => {
    const cut = tree([start('a'), usage('b', 1), note('c', 1), end('a')], limits({ nodes: 2 }));
    expect(cut.unattached.usage).toHaveLength(1);
    expect(cut.unattached.annotations).toEqual([]);
    expect(cut).toMatchObject({ truncated_by: 'nodes', omitted: 1 });
  });

  it('does not cut a tree that fits exactly', () => {
    const steps = [start('a'), note('a', 1), start('a.b'), end('a.b'), usage('z', 1), end('a')];
    expect(tree(steps, limits({ nodes: 4, depth: 2 }))).toEqual(tree(steps));
  });

  it('keeps, under any limit, the first nodes of the whole tree with their final fields', () => {
    const random = seeded(11);
    for (let round = 0; round < 300; round++) {
      const events = randomTrace(random, `r${round}`, 1 + Math.floor(random() * 120));
      const ordered = orderEvents(
        events.map((e, i) => ({
          cursor: String(i + 1),
          event_id: e.data.event_id,
          kind: e.kind,
          op_name: e.data.op_name ?? null,
          ctx: e.data.ctx,
          timestamp: e.data.timestamp,
          seq: e.data.seq,
          payload: e.data.payload,
        })),
      );
      const whole = new TreeBuilder();
      const nodes = 1 + Math.floor(random() * 20);
      const cut = new TreeBuilder(limits({ nodes, depth: 1 + Math.floor(random() * 6) }));
      for (const row of ordered) {
        whole.add(row);
        cut.add(row);
      }
      const all = whole.finish().roots;
      const built = cut.finish();
      expect(flat(built.roots).length).toBeLessThanOrEqual(nodes);
      expectPrefix(built.roots, all);
      if (built.truncated !== true) expect(built.roots).toEqual(all);
    }
  });
});
