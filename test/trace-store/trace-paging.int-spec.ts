import { testStoreKinds, uniqueName } from '@runlog/testing';
import { traceReadLimits } from '../../apps/trace-store/src/query/trace-query.service';
import {
  orderEvents,
  traceUsage,
  traceWarnings,
} from '../../apps/trace-store/src/trace/trace-model';
import { buildTree, type TraceTree } from '../../apps/trace-store/src/trace/trace-tree';
import { getJson } from '../projection-fixture';
import { rowsOf, TraceBuilder, type TraceFixture, startTraceFixture } from './trace-fixtures';

interface Page {
  events: Array<{ cursor: string; event_id: string }>;
  warnings: Array<{ code: string; event_id: string }>;
  warnings_omitted?: number;
  next_after: string | null;
}
type ErrorAnswer = { error: { code: string; details: Array<{ path: string }> } };

const NODE_LIMIT = 25;

// The bounded reads through the service as `npm start` runs it, on NATS and each store:
// GET /v1/traces/{id} a page at a time, the tree cut at RUNLOG_TRACE_TREE_MAX_NODES, usage
// of a trace longer than a page, warnings capped on the first page.
describe.each(testStoreKinds())('trace-store pages on NATS and %s', (kind) => {
  let fx: TraceFixture;
  let url: string;
  beforeAll(async () => {
    fx = await startTraceFixture(kind, { RUNLOG_TRACE_TREE_MAX_NODES: String(NODE_LIMIT) });
    url = (await fx.service()).url;
  });
  afterAll(async () => {
    await fx?.close();
  }, 30_000);

  const trace = (id: string, query = '') =>
    `${url}/v1/traces/${encodeURIComponent(id)}${query ? `?${query}` : ''}`;

  /** Every page from the start with `limit`, following next_after. */
  async function walk(id: string, limit: number): Promise<Page[]> {
    const pages: Page[] = [];
    let after: string | null = null;
    do {
      const answer: { status: number; body: Page } = await getJson<Page>(
        trace(id, `limit=${limit}${after === null ? '' : `&after=${after}`}`),
      );
      expect(answer.status).toBe(200);
      pages.push(answer.body);
      after = answer.body.next_after;
    } while (after !== null);
    return pages;
  }

  /** `steps` LLM calls inside one agent span: 3 events each, two more around them. */
  function longTrace(steps: number): TraceBuilder {
    const builder = new TraceBuilder(uniqueName('long'), 1).start('agent');
    for (let i = 0; i < steps; i++) {
      builder
        .start('agent.llm')
        .usage('agent.llm', `m-${i % 3}`, 10 + i, i, 0.001 * (i % 7))
        .end('agent.llm');
    }
    return builder.end('agent');
  }

  it('walks a trace of 1,202 events page by page, with no gap or duplicate, in (timestamp, seq) order', async () => {
    const builder = longTrace(400);
    const published = await fx.publish(builder.events);
    await fx.settled();
    const ordered = orderEvents(rowsOf(published)).map((row) => row.cursor);

    const first = await getJson<Page>(trace(builder.requestId));
    expect(first.body.events).toHaveLength(500); // the default page
    expect(first.body.next_after).toBe(ordered[499]);
    expect(first.body.warnings).toEqual([]);

    const pages = await walk(builder.requestId, 333);
    expect(pages.map((page) => page.events.length)).toEqual([333, 333, 333, 203]);
    expect(pages.flatMap((page) => page.events.map((e) => e.cursor))).toEqual(ordered);
    expect(pages.map((page) => page.next_after)).toEqual([
      ordered[332],
      ordered[665],
      ordered[998],
      null,
    ]);

    const whole = await getJson<Page>(trace(builder.requestId, 'limit=5000'));
    expect(whole.body.events.map((e) => e.cursor)).toEqual(ordered);
    expect(whole.body.next_after).toBeNull();
  });

  it('sums the usage of a trace longer than a page, and cuts its tree at RUNLOG_TRACE_TREE_MAX_NODES', async () => {
    const builder = longTrace(400);
    const rows = rowsOf(await fx.publish(builder.events));
    await fx.settled();

    const usage = await getJson<{ total: { calls: number } }>(
      `${url}/v1/traces/${encodeURIComponent(builder.requestId)}/usage`,
    );
    expect(usage.body).toEqual(traceUsage(builder.requestId, rows));
    expect(usage.body.total.calls).toBe(400);

    const tree = await getJson<TraceTree>(
      `${url}/v1/traces/${encodeURIComponent(builder.requestId)}/tree`,
    );
    expect(tree.status).toBe(200);
    expect(tree.body).toEqual(buildTree(builder.requestId, rows, traceReadLimits(NODE_LIMIT).tree));
    expect(tree.body).toMatchObject({
      truncated: true,
      truncated_by: 'nodes',
      node_limit: NODE_LIMIT,
      // The agent and 24 calls are kept; the 25th call's three events and the rest are not.
      omitted: 3 * (400 - 24),
      status: 'ok',
    });
    const [agent] = tree.body.roots;
    expect(agent?.children).toHaveLength(NODE_LIMIT - 1);
    // Kept nodes are complete: the agent's end came long after the cut.
    expect(agent).toMatchObject({ status: 'ok', ended_at: tree.body.ended_at });
  });

  it('lists at most 100 warnings, on the first page only, and counts the rest', async () => {
    const builder = new TraceBuilder(uniqueName('warned'), 1);
    for (let i = 0; i < 150; i++) builder.end(`orphan.${i}`); // op_end without op_start
    const rows = rowsOf(await fx.publish(builder.events));
    await fx.settled();

    const pages = await walk(builder.requestId, 60);
    expect(pages[0]!.warnings).toEqual(traceWarnings(rows).slice(0, 100));
    expect(pages[0]!.warnings.every((w) => w.code === 'op_end_without_start')).toBe(true);
    expect(pages[0]!.warnings_omitted).toBe(50);
    expect(pages.slice(1).map((page) => [page.warnings, page.warnings_omitted])).toEqual([
      [[], undefined],
      [[], undefined],
    ]);
  });

  it('answers 400 naming limit or after, and 404 for an unknown trace', async () => {
    const builder = new TraceBuilder(uniqueName('small')).start('a').end('a');
    const other = new TraceBuilder(uniqueName('other')).start('b');
    await fx.publish(builder.events);
    const [foreign] = await fx.publish(other.events);
    await fx.settled();
    const id = builder.requestId;
    const bad: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=5001', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['after=x', 'after'],
      ['after=-1', 'after'],
      ['after=99999999999999999999', 'after'],
      [`after=${foreign!.cursor}`, 'after'], // a cursor, but of another trace
    ];
    for (const [query, parameter] of bad) {
      const answer = await getJson<ErrorAnswer>(trace(id, query));
      expect([
        query,
        answer.status,
        answer.body.error.code,
        answer.body.error.details[0]?.path,
      ]).toEqual([query, 400, 'invalid_parameter', parameter]);
    }
    const unknown = await getJson<ErrorAnswer>(
      trace(uniqueName('none'), `after=${foreign!.cursor}`),
    );
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
    const ok = await getJson<Page>(trace(id, 'limit=5000&after=0'));
    expect([ok.status, ok.body.events.length, ok.body.next_after]).toEqual([200, 2, null]);
  });

  it('documents the page parameters and the truncated tree at /docs-json', async () => {
    type Docs = {
      paths: Record<
        string,
        { get: { parameters: Array<{ name: string; in: string }> } } | undefined
      >;
    };
    const { body } = await getJson<Docs>(`${url}/docs-json`);
    const parameters = body.paths['/v1/traces/{id}']?.get.parameters.map((p) => p.name);
    expect(parameters).toEqual(expect.arrayContaining(['id', 'limit', 'after']));
    const text = JSON.stringify(body);
    for (const field of ['next_after', 'warnings_omitted', 'truncated', 'node_limit', 'omitted'])
      expect(text).toContain(`"${field}"`);
  });
});
