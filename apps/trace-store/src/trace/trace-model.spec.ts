import { type KindOf } from '@runlog/contracts';
import { seeded, shuffled } from '@runlog/testing';
import {
  type TraceEventRow,
  orderEvents,
  traceSummary,
  traceUsage,
  traceWarnings,
} from './trace-model';
import { type TraceNode, type TraceTree, buildTree } from './trace-tree';

const REQ = 'req-1';
const MAIN = ['main'];
const Y0 = ['main', 'yield_0'];
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
/** `ms` after a fixed instant, as RFC 3339 UTC with milliseconds. */
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** One event before `rows` numbers it; ms, seq and cursor override the numbering. */
interface Step {
  readonly kind: KindOf<'trace'>;
  readonly op_name: string | null;
  readonly ctx: readonly string[];
  readonly payload: Record<string, unknown>;
  readonly ms?: number;
  readonly seq?: number;
  readonly cursor?: string;
}

/** Step i becomes event `e<i>`, seq i, cursor 100 + i, at 10 ms per step. */
function rows(steps: readonly Step[]): TraceEventRow[] {
  return steps.map((step, i) => ({
    cursor: step.cursor ?? String(100 + i),
    event_id: `e${i}`,
    kind: step.kind,
    op_name: step.op_name,
    ctx: step.ctx,
    timestamp: at(step.ms ?? i * 10),
    seq: step.seq ?? i,
    payload: step.payload,
  }));
}

const op = (
  kind: KindOf<'trace'>,
  op_name: string,
  ctx: readonly string[],
  payload = {},
): Step => ({ kind, op_name, ctx, payload });
const start = (name: string, ctx = MAIN): Step => op('op_start', name, ctx, { inputs: {} });
/** An op_end as a producer sends it; `extra` may add duration_ms and yield_count. */
const end = (name: string, ctx = MAIN, status = 'ok', extra = {}): Step =>
  op('op_end', name, ctx, { outputs: null, status, ...extra });
const yielded = (name: string, ctx: readonly string[], idx: number): Step =>
  op('op_yield', name, ctx, { yielded: `chunk ${idx}`, idx });
const note = (name: string, ctx: readonly string[], key: string, value: unknown): Step =>
  op('annotation', name, ctx, { key, value });
const usage = (
  name: string,
  ctx: readonly string[],
  model: string,
  p: number,
  c: number,
  cost: number,
): Step =>
  op('llm_usage', name, ctx, {
    model,
    prompt_tokens: p,
    completion_tokens: c,
    total_tokens: p + c,
    cost_usd: cost,
  });
const mediaRef = (name: string, ctx: readonly string[], handle: string, size_bytes: number): Step =>
  op('media_ref', name, ctx, { handle, mime: 'image/png', size_bytes });
const groupStart = (name: string, ctx: readonly string[]): Step => ({
  kind: 'group_start',
  op_name: null,
  ctx,
  payload: { name, batch: 2 },
});
const groupEnd = (name: string, ctx: readonly string[], status = 'ok'): Step => ({
  kind: 'group_end',
  op_name: null,
  ctx,
  payload: { name, status },
});
const withTime = (step: Step, more: Pick<Step, 'ms' | 'seq' | 'cursor'>): Step => ({
  ...step,
  ...more,
});

/** A node as `name@ctx(children...)`, a group as `#name@ctx(...)`, for structure checks. */
function outline(nodes: readonly TraceNode[]): string[] {
  return nodes.map((n) => {
    const label = `${n.type === 'group' ? '#' : ''}${n.name}@${n.ctx.join('/')}`;
    return n.children.length === 0 ? label : `${label}(${outline(n.children).join(', ')})`;
  });
}
const treeOf = (steps: readonly Step[]): TraceTree => {
  const tree = buildTree(REQ, rows(steps));
  if (tree === undefined) throw new Error('no tree');
  return tree;
};
/** The first root, and the nodes below it by child index. */
const nodeAt = (tree: TraceTree, ...path: number[]): TraceNode => {
  let node = tree.roots[0]!;
  for (const i of path) node = node.children[i]!;
  return node;
};

// An agent call: an LLM call nested by dotted names, then a generator whose first yield runs
// a tool in ctx ["main","yield_0"] inside a group; the agent itself never ends.
const agentRun: Step[] = [
  start('agent'), // 0
  note('agent', MAIN, 'user', 'u-42'),
  start('agent.llm'),
  start('agent.llm.call'),
  usage('agent.llm.call', MAIN, 'm-large', 100, 20, 0.003),
  end('agent.llm.call', MAIN, 'ok', { duration_ms: 18, yield_count: 0 }), // 5
  end('agent.llm', MAIN, 'ok', { duration_ms: 40, yield_count: 0 }),
  start('agent.stream'),
  yielded('agent.stream', MAIN, 0),
  groupStart('yield_0', Y0),
  start('agent.stream.tool', Y0), // 10
  mediaRef('agent.stream.tool', Y0, 'blob://h1', 2048),
  end('agent.stream.tool', Y0, 'error', { duration_ms: 15, yield_count: 0 }),
  groupEnd('yield_0', Y0),
  yielded('agent.stream', MAIN, 1),
  end('agent.stream', MAIN, 'cancelled', { duration_ms: 80, yield_count: 2 }), // 15
  usage('agent', MAIN, 'm-small', 10, 5, 0.0001),
  note('agent', MAIN, 'verdict', { score: 0.9 }),
];

const none = { usage: [], annotations: [], media: [] };

describe('buildTree', () => {
  it('draws a realistic trace exactly', () => {
    expect(buildTree(REQ, rows(agentRun))).toEqual({
      request_id: REQ,
      started_at: at(0),
      ended_at: at(170),
      duration_ms: 170,
      status: 'error',
      roots: [
        {
          type: 'op',
          name: 'agent',
          op_name: 'agent',
          ctx: MAIN,
          status: 'open',
          started_at: at(0),
          ended_at: null,
          duration_ms: null,
          yield_count: 0,
          usage: {
            prompt_tokens: 10,
            completion_tokens: 5,
            total_tokens: 15,
            cost_usd: 0.0001,
            calls: 1,
          },
          annotations: [
            { key: 'user', value: 'u-42' },
            { key: 'verdict', value: { score: 0.9 } },
          ],
          media: [],
          children: [
            {
              type: 'op',
              name: 'agent.llm',
              op_name: 'agent.llm',
              ctx: MAIN,
              status: 'ok',
              started_at: at(20),
              ended_at: at(60),
              duration_ms: 40,
              yield_count: 0,
              usage: null,
              annotations: [],
              media: [],
              children: [
                {
                  type: 'op',
                  name: 'agent.llm.call',
                  op_name: 'agent.llm.call',
                  ctx: MAIN,
                  status: 'ok',
                  started_at: at(30),
                  ended_at: at(50),
                  duration_ms: 18,
                  yield_count: 0,
                  usage: {
                    prompt_tokens: 100,
                    completion_tokens: 20,
                    total_tokens: 120,
                    cost_usd: 0.003,
                    calls: 1,
                  },
                  annotations: [],
                  media: [],
                  children: [],
                },
              ],
            },
            {
              type: 'op',
              name: 'agent.stream',
              op_name: 'agent.stream',
              ctx: MAIN,
              status: 'cancelled',
              started_at: at(70),
              ended_at: at(150),
              duration_ms: 80,
              yield_count: 2,
              usage: null,
              annotations: [],
              media: [],
              children: [
                {
                  type: 'group',
                  name: 'yield_0',
                  op_name: null,
                  ctx: Y0,
                  status: 'ok',
                  started_at: at(90),
                  ended_at: at(130),
                  duration_ms: 40,
                  yield_count: 0,
                  usage: null,
                  annotations: [],
                  media: [],
                  children: [
                    {
                      type: 'op',
                      name: 'agent.stream.tool',
                      op_name: 'agent.stream.tool',
                      ctx: Y0,
                      status: 'error',
                      started_at: at(100),
                      ended_at: at(120),
                      duration_ms: 15,
                      yield_count: 0,
                      usage: null,
                      annotations: [],
                      media: [{ handle: 'blob://h1', mime: 'image/png', size_bytes: 2048 }],
                      children: [],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
      unattached: none,
    });
  });

  it('has no tree without events', () => {
    expect(buildTree(REQ, [])).toBeUndefined();
  });

  it('nests by inclusive dotted prefix: a > a.b > a.b.c, never ab or a.bc under a.b', () => {
    const tree = treeOf([
      start('a'),
      start('a.b'),
      start('a.b.c'),
      start('ab'),
      start('a.bc'),
      end('a.bc'),
      end('ab'),
      end('a.b.c'),
      end('a.b'),
      end('a'),
    ]);
    expect(outline(tree.roots)).toEqual(['a@main(a.b@main(a.b.c@main), a.bc@main)', 'ab@main']);
  });

  it('nests a second op_start of an open (op_name, ctx) in the first; op_ends close LIFO', () => {
    const tree = treeOf([
      start('agent'),
      start('agent'),
      end('agent', MAIN, 'error'),
      start('agent'), // the first is still open: nested again
      end('agent'),
      end('agent', MAIN, 'cancelled'),
      start('agent'), // all ended: a new root
    ]);
    expect(outline(tree.roots)).toEqual(['agent@main(agent@main, agent@main)', 'agent@main']);
    expect(tree.roots.map((n) => n.status)).toEqual(['cancelled', 'open']);
    expect(nodeAt(tree).children.map((n) => [n.status, n.started_at, n.ended_at])).toEqual([
      ['error', at(10), at(20)],
      ['ok', at(30), at(40)],
    ]);
  });

  it('nests across context prefixes, not into sibling or shorter contexts', () => {
    const tree = treeOf([
      start('gen'),
      start('gen.step', Y0), // ["main"] is a prefix of ["main","yield_0"]
      start('gen.step.io', ['main', 'yield_1']), // gen.step's ctx is no prefix of this one
      start('gen.sub', ['other']), // no open span has a prefix of ["other"]
    ]);
    expect(outline(tree.roots)).toEqual([
      'gen@main(gen.step@main/yield_0, gen.step.io@main/yield_1)',
      'gen.sub@other',
    ]);
  });

  it('keeps ops that never end open, and the trace open', () => {
    const tree = treeOf([
      start('job'),
      start('job.fetch'),
      yielded('job.fetch', MAIN, 0),
      yielded('job.fetch', MAIN, 1),
      end('job.fetch', MAIN, 'cancelled', { duration_ms: 20, yield_count: 2 }),
      start('job.parse'),
      yielded('job.parse', MAIN, 0),
    ]);
    expect(tree.status).toBe('open');
    expect(nodeAt(tree)).toMatchObject({ status: 'open', ended_at: null, duration_ms: null });
    expect(nodeAt(tree, 1)).toMatchObject({
      name: 'job.parse',
      status: 'open',
      ended_at: null,
      duration_ms: null,
      yield_count: 1,
    });
    expect(tree).toMatchObject({ started_at: at(0), ended_at: at(60), duration_ms: 60 });
  });

  it('puts interleaved groups of two contexts under their own context', () => {
    const A = ['main', 'a'];
    const B = ['main', 'b'];
    const tree = treeOf([
      start('gen'),
      groupStart('batch', A),
      groupStart('batch', B),
      start('gen.step', A), // the open group of ctx a is innermost for it, not batch@b
      start('gen.step', B),
      end('gen.step', A),
      groupEnd('batch', A, 'truncated'),
      start('gen.step', A), // no open group of ctx a any more: under the span gen
      end('gen.step', B),
      groupEnd('batch', B),
      end('gen.step', A),
      groupStart('tail', MAIN),
      groupStart('inner', MAIN), // an open group of the same ctx holds a group
      start('other'), // an open group of the same ctx holds any op
      end('other'),
      groupEnd('inner', MAIN),
      end('gen'), // the group tail never ends
    ]);
    expect(outline(tree.roots)).toEqual([
      'gen@main(#batch@main/a(gen.step@main/a), #batch@main/b(gen.step@main/b), gen.step@main/a, #tail@main(#inner@main(other@main)))',
    ]);
    const [batchA, batchB, , tail] = nodeAt(tree).children;
    expect(batchA).toMatchObject({ status: 'truncated', op_name: null, duration_ms: 50 });
    expect(batchB).toMatchObject({ status: 'ok', started_at: at(20), ended_at: at(90) });
    expect(tail).toMatchObject({ status: 'open', ended_at: null, duration_ms: null });
    expect(tree.status).toBe('open');
  });

  it('attaches usage, annotations and media to the span of the same (op_name, ctx)', () => {
    const tree = treeOf([
      start('agent.llm'),
      start('agent.llm', Y0),
      usage('agent.llm', Y0, 'm', 7, 3, 0.5),
      usage('agent.llm', MAIN, 'm', 1, 1, 0.1),
      usage('agent.llm', Y0, 'm', 2, 2, 0.25),
      note('agent.llm', Y0, 'k', 1),
      mediaRef('agent.llm', MAIN, 'blob://a', 10),
      end('agent.llm', Y0),
      end('agent.llm'),
    ]);
    const outer = nodeAt(tree);
    const inner = nodeAt(tree, 0);
    expect(inner.ctx).toEqual(Y0);
    expect(inner.usage).toEqual({
      prompt_tokens: 9,
      completion_tokens: 5,
      total_tokens: 14,
      cost_usd: 0.75,
      calls: 2,
    });
    expect(inner.annotations).toEqual([{ key: 'k', value: 1 }]);
    expect(inner.media).toEqual([]);
    expect(outer.usage).toMatchObject({ total_tokens: 2, calls: 1 });
    expect(outer.media).toEqual([{ handle: 'blob://a', mime: 'image/png', size_bytes: 10 }]);
    expect(tree.unattached).toEqual(none);
  });

  it('attaches late events to the ended span and keeps spanless ones as unattached', () => {
    const tree = treeOf([
      note('tool', MAIN, 'early', true), // before any tool span: nowhere to go
      usage('ghost', Y0, 'm', 1, 2, 0.01),
      mediaRef('ghost', Y0, 'blob://g', 5),
      start('tool'),
      end('tool'),
      usage('tool', MAIN, 'm', 4, 4, 0.02), // after op_end: still the tool's
      note('tool', MAIN, 'late', true),
    ]);
    expect(nodeAt(tree)).toMatchObject({
      usage: { total_tokens: 8, calls: 1 },
      annotations: [{ key: 'late', value: true }],
    });
    expect(tree.unattached).toEqual({
      usage: [
        {
          event_id: 'e1',
          op_name: 'ghost',
          ctx: Y0,
          model: 'm',
          prompt_tokens: 1,
          completion_tokens: 2,
          total_tokens: 3,
          cost_usd: 0.01,
        },
      ],
      annotations: [{ event_id: 'e0', op_name: 'tool', ctx: MAIN, key: 'early', value: true }],
      media: [
        {
          event_id: 'e2',
          op_name: 'ghost',
          ctx: Y0,
          handle: 'blob://g',
          mime: 'image/png',
          size_bytes: 5,
        },
      ],
    });
  });

  it("prefers op_end's duration_ms and yield_count, else timestamps and op_yield events", () => {
    const tree = treeOf([
      start('gen'),
      yielded('gen', MAIN, 0),
      yielded('gen', MAIN, 1),
      end('gen', MAIN, 'ok', { duration_ms: 3.5, yield_count: 5 }),
      start('bare'),
      yielded('bare', MAIN, 0),
      end('bare', MAIN, 'ok', { duration_ms: 'fast' }), // neither field usable
    ]);
    expect(tree.roots.map((n) => [n.duration_ms, n.yield_count])).toEqual([
      [3.5, 5],
      [20, 1],
    ]);
  });

  it.each<[string, Step[], string]>([
    ['error wins over open', [start('a'), start('a.b'), end('a.b', MAIN, 'error')], 'error'],
    ['an unpaired op_end error still counts', [end('a', MAIN, 'error')], 'error'],
    ['open wins over cancelled', [start('a'), start('b'), end('b', MAIN, 'cancelled')], 'open'],
    ['an open group keeps it open', [start('a'), end('a'), groupStart('g', MAIN)], 'open'],
    ['cancelled once all ended', [start('a'), end('a', MAIN, 'cancelled')], 'cancelled'],
    ['truncated groups are ok', [groupStart('g', MAIN), groupEnd('g', MAIN, 'truncated')], 'ok'],
    ['ok', [start('a'), end('a')], 'ok'],
  ])('status: %s', (_name, steps, status) => {
    expect(treeOf(steps).status).toBe(status);
    expect(traceSummary(REQ, rows(steps))?.status).toBe(status);
  });
});

describe('orderEvents', () => {
  it('sorts by timestamp, then seq, then cursor as a number, into a new array', () => {
    const input = rows([
      withTime(start('c'), { ms: 5, seq: 2, cursor: '10' }),
      withTime(start('d'), { ms: 5, seq: 2, cursor: '9' }),
      withTime(start('b'), { ms: 5, seq: 1, cursor: '11' }),
      withTime(start('a'), { ms: 1, seq: 9, cursor: '12' }),
      withTime(start('e'), { ms: 1000, seq: 0, cursor: '18446744073709551615' }),
      withTime(start('f'), { ms: 1000, seq: 0, cursor: '18446744073709551616' }),
    ]);
    const before = [...input];
    expect(orderEvents(input).map((r) => r.op_name)).toEqual(['a', 'b', 'd', 'c', 'e', 'f']);
    expect(input).toEqual(before);
  });
});

describe('traceWarnings', () => {
  it('flags each broken rule at its event, in event order, seq gaps last', () => {
    const steps = [
      withTime(start('a'), { seq: 3 }),
      withTime(end('a'), { seq: 4 }),
      withTime(usage('a', MAIN, 'm', 1, 1, 0), { seq: 8 }), // seq 5..7 missing
      withTime(end('b', Y0), { seq: 9 }),
      withTime(start('c'), { seq: 11 }), // seq 10 missing
      withTime(usage('c', MAIN, 'm', 1, 1, 0), { seq: 11 }), // a repeated seq is no gap
    ];
    expect(traceWarnings(rows(steps))).toEqual([
      {
        code: 'usage_after_op_end',
        message: 'llm_usage of a in ["main"] after its op_end at cursor 101',
        event_id: 'e2',
        cursor: '102',
      },
      {
        code: 'op_end_without_start',
        message: 'op_end of b in ["main","yield_0"] with no open op_start',
        event_id: 'e3',
        cursor: '103',
      },
      {
        code: 'seq_gap',
        message: 'seq 5..7 missing between 4 and 8',
        event_id: 'e2',
        cursor: '102',
      },
      {
        code: 'seq_gap',
        message: 'seq 10 missing between 9 and 11',
        event_id: 'e4',
        cursor: '104',
      },
    ]);
  });

  it('does not flag usage while a span of its (op_name, ctx) is open, or a spanless one', () => {
    const steps = [
      usage('x', MAIN, 'm', 1, 1, 0), // no span at all: unattached, not "after op_end"
      start('a'),
      start('a'),
      end('a'),
      usage('a', MAIN, 'm', 1, 1, 0), // the outer a is still open
      end('a'),
      end('a', MAIN), // a third op_end of a: nothing left to close
    ];
    expect(traceWarnings(rows(steps)).map((w) => `${w.event_id}:${w.code}`)).toEqual([
      'e6:op_end_without_start',
    ]);
  });

  it('has none for the realistic trace or an empty one', () => {
    expect(traceWarnings(rows(agentRun))).toEqual([]);
    expect(traceWarnings([])).toEqual([]);
  });
});

describe('traceUsage', () => {
  it('totals every llm_usage and splits it by model, sorted, without float noise', () => {
    const steps = [
      start('a'),
      usage('a', MAIN, 'zeta', 1, 2, 0.1),
      usage('a', MAIN, 'alpha', 10, 20, 0.2),
      usage('a', MAIN, 'zeta', 3, 4, 0.2),
      usage('nowhere', Y0, 'alpha', 5, 5, 0.1), // unattached usage is usage all the same
    ];
    expect(traceUsage(REQ, rows(steps))).toEqual({
      request_id: REQ,
      total: {
        prompt_tokens: 19,
        completion_tokens: 31,
        total_tokens: 50,
        cost_usd: 0.6,
        calls: 4,
      },
      by_model: [
        {
          model: 'alpha',
          prompt_tokens: 15,
          completion_tokens: 25,
          total_tokens: 40,
          cost_usd: 0.3,
          calls: 2,
        },
        {
          model: 'zeta',
          prompt_tokens: 4,
          completion_tokens: 6,
          total_tokens: 10,
          cost_usd: 0.3,
          calls: 2,
        },
      ],
    });
  });

  it('is zero without usage', () => {
    const zero = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost_usd: 0, calls: 0 };
    expect(traceUsage(REQ, [])).toEqual({ request_id: REQ, total: zero, by_model: [] });
  });
});

describe('traceSummary', () => {
  it('summarises the realistic trace', () => {
    expect(traceSummary(REQ, rows(agentRun))).toEqual({
      request_id: REQ,
      started_at: at(0),
      ended_at: at(170),
      duration_ms: 170,
      status: 'error',
      ops: 5,
      errors: 1,
      total_tokens: 135,
      cost_usd: 0.0031,
      op_names: ['agent', 'agent.llm', 'agent.llm.call', 'agent.stream', 'agent.stream.tool'],
    });
  });

  it('has no summary without events', () => {
    expect(traceSummary(REQ, [])).toBeUndefined();
  });
});

describe('reorder invariance', () => {
  // The realistic trace as stored, and a variant where events share timestamps (seq decides).
  const variants: [string, TraceEventRow[]][] = [
    [
      'distinct timestamps',
      rows([...agentRun, end('orphan', Y0), usage('agent.llm', MAIN, 'm', 1, 1, 0.1)]),
    ],
    [
      'shared timestamps',
      rows(agentRun.map((s, i) => withTime(s, { ms: Math.floor(i / 3) * 10 }))),
    ],
  ];
  it.each(variants)('answers the same for any input order (%s)', (_name, stored) => {
    const expected = {
      order: orderEvents(stored),
      tree: buildTree(REQ, stored),
      usage: traceUsage(REQ, stored),
      summary: traceSummary(REQ, stored),
      warnings: traceWarnings(stored),
    };
    expect(expected.order).toEqual(stored);
    const random = seeded(7);
    for (let round = 0; round < 20; round++) {
      const input = shuffled(stored, random);
      expect(orderEvents(input)).toEqual(expected.order);
      expect(buildTree(REQ, input)).toEqual(expected.tree);
      expect(traceUsage(REQ, input)).toEqual(expected.usage);
      expect(traceSummary(REQ, input)).toEqual(expected.summary);
      expect(traceWarnings(input)).toEqual(expected.warnings);
    }
  });
});
