import { drawTree, isTraceTree, type TraceTreeView, type TreeNodeView } from './draw-tree';

const node = (
  name: string,
  overrides: Partial<TreeNodeView> = {},
  children: TreeNodeView[] = [],
): TreeNodeView => ({
  type: 'op',
  name,
  ctx: ['main'],
  status: 'ok',
  duration_ms: 10,
  yield_count: 0,
  usage: null,
  children,
  ...overrides,
});

// The README's example tree: an agent op holding a retry group with an LLM call, a
// generator step in context main/yield_0, and a tool call still open.
const tree: TraceTreeView = {
  request_id: 'req-42',
  started_at: '2026-11-23T09:00:00.000Z',
  duration_ms: 80,
  status: 'open',
  roots: [
    node('agent', { duration_ms: 80 }, [
      node('retry', { type: 'group', duration_ms: 40 }, [
        node('agent.llm', {
          duration_ms: 18,
          usage: {
            prompt_tokens: 100,
            completion_tokens: 20,
            total_tokens: 120,
            cost_usd: 0.002,
            calls: 1,
          },
        }),
      ]),
      node('agent.stream', { ctx: ['main', 'yield_0'], duration_ms: 9, yield_count: 1 }),
      node('agent.tool', { status: 'open', duration_ms: null }),
    ]),
  ],
  unattached: { usage: [], annotations: [], media: [] },
};

describe('drawTree', () => {
  it('draws each node under its parent with its status, duration and usage', () => {
    expect(drawTree(tree)).toEqual([
      'trace req-42  open  80 ms  2026-11-23T09:00:00.000Z',
      '└─ agent  ok  80 ms',
      '   ├─ group retry  ok  40 ms',
      '   │  └─ agent.llm  ok  18 ms  120 tokens (100 in, 20 out)  $0.002',
      '   ├─ agent.stream  ok  9 ms  ctx main/yield_0  1 yield(s)',
      '   └─ agent.tool  open  -',
    ]);
  });

  it('draws several roots and says what stayed unattached', () => {
    const lines = drawTree({
      ...tree,
      roots: [node('a', {}, [node('a.b')]), node('c', { status: 'error' })],
      unattached: { usage: [{}], annotations: [], media: [{}, {}] },
    });
    expect(lines.slice(1)).toEqual([
      '├─ a  ok  10 ms',
      '│  └─ a.b  ok  10 ms',
      '└─ c  error  10 ms',
      'unattached (no span of their op and ctx): 1 llm_usage, 2 media_ref',
    ]);
  });

  it('says when trace-store cut the tree, and how much it left out', () => {
    const cut = { truncated: true, truncated_by: 'nodes', node_limit: 2, omitted: 7 };
    expect(drawTree({ ...tree, roots: [node('a', {}, [node('a.b')])], ...cut }).at(-1)).toBe(
      'truncated at the 2 nodes limit: 7 later event(s) not shown',
    );
    expect(drawTree({ ...tree, ...cut, truncated_by: 'depth' }).at(-1)).toBe(
      'truncated at the depth limit: 7 later event(s) not shown',
    );
    expect(drawTree(tree).at(-1)).not.toMatch(/truncated/);
  });

  it('counts calls and keeps small costs readable', () => {
    const usage = {
      prompt_tokens: 3,
      completion_tokens: 4,
      total_tokens: 7,
      cost_usd: 0.00001234,
      calls: 2,
    };
    const [, line] = drawTree({ ...tree, roots: [node('llm', { usage })] });
    expect(line).toBe('└─ llm  ok  10 ms  7 tokens (3 in, 4 out, 2 calls)  $0.0000123');
  });

  it('recognizes a tree answer', () => {
    expect(isTraceTree(tree)).toBe(true);
    expect(isTraceTree({ error: { code: 'not_found' } })).toBe(false);
    expect(isTraceTree(null)).toBe(false);
  });
});
