import { testStoreKinds, uniqueName } from '@runlog/testing';
import { traceUsage } from '../../apps/trace-store/src/trace/trace-model';
import { buildTree, type TraceNode } from '../../apps/trace-store/src/trace/trace-tree';
import { typedEvent } from '../bus/bus-fixtures';
import { getJson } from '../projection-fixture';
import {
  at,
  generatorTrace,
  rowsOf,
  TraceBuilder,
  type TraceFixture,
  startTraceFixture,
} from './trace-fixtures';
import { withServedFixture } from '../use-fixture';

const names = (nodes: readonly TraceNode[]): unknown[] =>
  nodes.map((node) => [node.type, node.name, node.status, names(node.children)]);

describe.each(testStoreKinds())('trace-store on NATS and %s', (kind) => {
  let fx: TraceFixture;
  let url: string;
  withServedFixture(
    () => startTraceFixture(kind),
    (started, at) => ([fx, url] = [started, at]),
  );

  const trace = (id: string, tail = '') => `${url}/v1/traces/${encodeURIComponent(id)}${tail}`;

  it('stores a generator trace and rebuilds its exact tree, events and usage', async () => {
    const builder = generatorTrace(`req:{${uniqueName('tree')}}`);
    const published = await fx.publish(builder.events);
    await fx.settled();

    const tree = await getJson<{ roots: TraceNode[]; status: string }>(
      trace(builder.requestId, '/tree'),
    );
    expect(tree.status).toBe(200);
    expect(tree.body).toEqual(buildTree(builder.requestId, rowsOf(published)));
    expect(names(tree.body.roots)).toEqual([
      [
        'op',
        'agent',
        'ok',
        [
          ['group', 'retry', 'ok', [['op', 'agent.llm', 'ok', []]]],
          ['op', 'agent.stream', 'ok', []],
          ['op', 'agent.tool', 'open', []],
        ],
      ],
    ]);
    expect(tree.body.status).toBe('open');
    const llm = tree.body.roots[0]!.children[0]!.children[0]!;
    expect(llm.usage).toEqual({
      prompt_tokens: 100,
      completion_tokens: 20,
      total_tokens: 120,
      cost_usd: 0.002,
      calls: 1,
    });
    expect(llm.annotations).toEqual([{ key: 'tenant', value: 'acme' }]);
    expect(tree.body.roots[0]!.children[1]!.yield_count).toBe(1);

    const events = await getJson<{
      events: Array<{ event_id: string; cursor: string }>;
      warnings: unknown[];
    }>(trace(builder.requestId));
    expect(events.body.events.map((e) => e.event_id)).toEqual(
      published.map((e) => e.data.event_id),
    );
    expect(events.body.events.map((e) => e.cursor)).toEqual(published.map((e) => e.cursor));
    expect(events.body.warnings).toEqual([]);
    const usage = await getJson(trace(builder.requestId, '/usage'));
    expect(usage.body).toEqual(traceUsage(builder.requestId, rowsOf(published)));
  });

  it("keeps each event's CloudEvents extensions and shows them in its page of events", async () => {
    const builder = new TraceBuilder(uniqueName('ext')).start('agent.run').end('agent.run');
    const extensions = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tenant: 'acme',
      attempt: 2,
      replay: false,
    };
    const [first, second] = builder.events;
    await fx.publish([{ ...first!, extensions }, second!]);
    await fx.settled();
    const page = await getJson<{ events: Array<Record<string, unknown>> }>(
      trace(builder.requestId),
    );
    expect(page.status).toBe(200);
    expect(page.body.events.map((e) => e['extensions'])).toEqual([extensions, undefined]);
    expect(Object.keys(page.body.events[1]!)).not.toContain('extensions');
    const tree = await getJson<{ status: string }>(trace(builder.requestId, '/tree'));
    expect(tree.body.status).toBe('ok');
  });

  it('stores a duplicate once, even under a new envelope id, and never double-counts usage', async () => {
    const builder = new TraceBuilder().start('op').usage('op', 'm1', 10, 5, 0.01).end('op');
    const first = await fx.publish(builder.events);
    // The producer resends everything with fresh CloudEvents ids: same event_ids.
    await fx.publish(
      builder.events.map((event) =>
        typedEvent('trace', event.kind, uniqueName('resend'), { ...event.data }),
      ),
    );
    await fx.settled();
    const events = await getJson<{ events: unknown[] }>(trace(builder.requestId));
    expect(events.body.events).toHaveLength(3);
    const usage = await getJson<{ total: { total_tokens: number; calls: number } }>(
      trace(builder.requestId, '/usage'),
    );
    expect(usage.body.total).toMatchObject({ total_tokens: 15, calls: 1 });
    expect(usage.body).toEqual(traceUsage(builder.requestId, rowsOf(first)));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/runlog_trace_store_duplicates_skipped_total [1-9]/);
  });

  it('flags broken rules as warnings without dropping events', async () => {
    const builder = new TraceBuilder()
      .start('a')
      .add('annotation', 'a', ['main'], { key: 'dropped', value: 1 }) // seq 1, never sent
      .end('a')
      .usage('a', 'm1', 1, 1, 0) // after its op_end
      .end('b'); // no op_start
    const [first, , ...rest] = builder.events;
    const published = await fx.publish([first!, ...rest]);
    await fx.settled();
    const body = await getJson<{ events: unknown[]; warnings: Array<{ code: string }> }>(
      trace(builder.requestId),
    );
    expect(body.body.events).toHaveLength(published.length);
    expect(body.body.warnings.map((w) => w.code).sort()).toEqual(
      ['op_end_without_start', 'seq_gap', 'usage_after_op_end'].sort(),
    );
  });

  it('searches newest first by time range, op, status and duration, a page at a time, and sums usage by model', async () => {
    const base = 3_600_000 * 24 * (1 + Math.floor(Math.random() * 1000)); // a day of its own
    const make = (startMs: number, op: string, status: string, model: string) => {
      const b = new TraceBuilder(uniqueName('s'), 100, base + startMs)
        .start(op)
        .usage(op, model, 10, 10, 0.5)
        .end(op, status);
      return b;
    };
    const traces = [
      make(0, 'search.fetch', 'ok', 'm-a'),
      make(1_000, 'search.rank', 'error', 'm-b'),
      make(2_000, 'search.fetch', 'ok', 'm-a'),
      make(3_000, 'search.fetch', 'cancelled', 'm-b'),
    ];
    for (const t of traces) await fx.publish(t.events);
    await fx.settled();
    const range = `since=${encodeURIComponent(at(base))}&until=${Date.parse(at(base + 10_000))}`;
    type Search = {
      traces: Array<{ request_id: string; status: string; duration_ms: number }>;
      next_after: string | null;
    };

    const all = await getJson<Search>(`${url}/v1/traces?${range}`);
    expect(all.body.traces.map((t) => t.request_id)).toEqual(
      [...traces].reverse().map((t) => t.requestId),
    );
    expect(all.body.traces[0]).toMatchObject({ status: 'cancelled', duration_ms: 200 });
    const fetches = await getJson<Search>(`${url}/v1/traces?${range}&op=search.fetch&status=ok`);
    expect(fetches.body.traces.map((t) => t.request_id)).toEqual([
      traces[2]!.requestId,
      traces[0]!.requestId,
    ]);
    const long = await getJson<Search>(`${url}/v1/traces?${range}&min_duration_ms=201`);
    expect(long.body.traces).toEqual([]);

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: { body: Search } = await getJson<Search>(
        `${url}/v1/traces?${range}&limit=3${after ? `&after=${after}` : ''}`,
      );
      seen.push(...page.body.traces.map((t) => t.request_id));
      after = page.body.next_after;
    } while (after !== null);
    expect(seen).toEqual(all.body.traces.map((t) => t.request_id));

    const usage = await getJson<{
      by_model: Array<{ model: string; calls: number; total_tokens: number }>;
    }>(`${url}/v1/usage?${range}`);
    expect(usage.body.by_model.map((m) => [m.model, m.calls, m.total_tokens])).toEqual([
      ['m-a', 2, 40],
      ['m-b', 2, 40],
    ]);
    const onlyB = await getJson<{ by_model: unknown[] }>(`${url}/v1/usage?${range}&model=m-b`);
    expect(onlyB.body.by_model).toHaveLength(1);
  });

  it('answers 404 for an unknown trace and 400 naming a bad parameter', async () => {
    for (const tail of ['', '/tree', '/usage']) {
      const missing = await getJson<{ error: { code: string } }>(trace(uniqueName('none'), tail));
      expect([tail, missing.status, missing.body.error.code]).toEqual([tail, 404, 'not_found']);
    }
    const bad: Array<[string, string]> = [
      ['/v1/traces?since=yesterday', 'since'],
      ['/v1/traces?until=2026-13-01T00:00:00Z', 'until'],
      ['/v1/traces?status=fine', 'status'],
      ['/v1/traces?min_duration_ms=-1', 'min_duration_ms'],
      ['/v1/traces?limit=0', 'limit'],
      ['/v1/traces?after=not-a-cursor', 'after'],
      ['/v1/usage?since=x', 'since'],
    ];
    for (const [path, parameter] of bad) {
      const answer = await getJson<{ error: { code: string; details: Array<{ path: string }> } }>(
        `${url}${path}`,
      );
      expect([
        path,
        answer.status,
        answer.body.error.code,
        answer.body.error.details[0]?.path,
      ]).toEqual([path, 400, 'invalid_parameter', parameter]);
    }
  });

  it('describes its API at /docs-json', async () => {
    const { body } = await getJson<{ paths: Record<string, unknown> }>(`${url}/docs-json`);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/traces',
        '/v1/traces/{id}',
        '/v1/traces/{id}/tree',
        '/v1/traces/{id}/usage',
        '/v1/usage',
        '/v1/trace-store/gaps',
      ]),
    );
  });
});
