import { type TraceEvent, type TraceNode } from '../types';
import { countNodes, eventsOf, initiallyCollapsed, visibleRows } from './rows';

const node = (
  name: string,
  children: TraceNode[] = [],
  over: Partial<TraceNode> = {},
): TraceNode => ({
  type: 'op',
  name,
  op_name: name,
  ctx: ['main'],
  status: 'ok',
  started_at: '2026-11-23T09:00:00.000Z',
  ended_at: '2026-11-23T09:00:01.000Z',
  duration_ms: 1000,
  yield_count: 0,
  usage: null,
  annotations: [],
  media: [],
  children,
  ...over,
});

const event = (over: Partial<TraceEvent>): TraceEvent => ({
  cursor: '1',
  event_id: 'e1',
  kind: 'op_start',
  op_name: 'a',
  ctx: ['main'],
  timestamp: '2026-11-23T09:00:00.500Z',
  seq: 0,
  payload: {},
  ...over,
});

describe('waterfall rows', () => {
  const tree = [node('a', [node('a.b', [node('a.b.c')]), node('a.d')]), node('e')];

  it('lists nodes in tree order with their depth and path ids', () => {
    expect(visibleRows(tree, new Set()).map((r) => [r.id, r.node.name, r.depth])).toEqual([
      ['0', 'a', 0],
      ['0.0', 'a.b', 1],
      ['0.0.0', 'a.b.c', 2],
      ['0.1', 'a.d', 1],
      ['1', 'e', 0],
    ]);
  });

  it('leaves out the subtree of a collapsed row, not the row', () => {
    expect(visibleRows(tree, new Set(['0.0'])).map((r) => r.id)).toEqual(['0', '0.0', '0.1', '1']);
  });

  it('walks a tree a thousand levels deep without recursion', () => {
    let deep = node('x');
    for (let i = 0; i < 5_000; i++) deep = node('x', [deep]);
    expect(visibleRows([deep], new Set())).toHaveLength(5_001);
    expect(countNodes([deep])).toBe(5_001);
  });

  it('folds a big tree below its second level, and nothing of a small one', () => {
    expect(initiallyCollapsed(tree)).toEqual(new Set());
    expect(initiallyCollapsed(tree, 2)).toEqual(new Set(['0.0']));
  });

  it("finds a span's events by op name, ctx and time, and a group's by its markers", () => {
    const span = node('a', [], { started_at: '2026-11-23T09:00:00.000Z' });
    const events = [
      event({ cursor: '1' }),
      event({ cursor: '2', op_name: 'b' }),
      event({ cursor: '3', ctx: ['main', 'yield_0'] }),
      event({ cursor: '4', timestamp: '2026-11-23T09:00:02.000Z' }),
      event({ cursor: '5', kind: 'group_start', op_name: null, payload: { name: 'g' } }),
    ];
    expect(eventsOf(span, events).map((e) => e.cursor)).toEqual(['1']);
    const group = node('g', [], { type: 'group', op_name: null });
    expect(eventsOf(group, events).map((e) => e.cursor)).toEqual(['5']);
    const open = node('a', [], { ended_at: null, duration_ms: null });
    expect(eventsOf(open, events).map((e) => e.cursor)).toEqual(['1', '4']);
  });
});
