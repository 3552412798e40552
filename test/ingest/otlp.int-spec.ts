import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { buildTree } from '../../apps/trace-store/src/trace/trace-tree';
import { type TraceEventRow } from '../../apps/trace-store/src/trace/trace-model';
import { type TraceNode } from '../../apps/trace-store/src/trace/trace-tree';
import { type IngestFixture, startIngest } from './ingest-fixtures';

// OTLP/HTTP trace ingest (D39-D41): the real OTLP JSON exporter on a BasicTracerProvider
// sends GenAI spans to a real ingest; the stored events are read back from RUNLOG_TRACE and
// drawn as the trace-store tree.

jest.setTimeout(60_000);

let fx: IngestFixture;
beforeAll(async () => {
  fx = await startIngest();
});
afterAll(async () => {
  await fx?.close();
});

/** Every stored trace event of one request, as trace-store rows. */
async function rowsOf(requestId: string): Promise<TraceEventRow[]> {
  const { state } = await fx.jsm.streams.info('RUNLOG_TRACE');
  const rows: TraceEventRow[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq += 1) {
    const message = await fx.jsm.streams.getMessage('RUNLOG_TRACE', { seq });
    const stored = message?.json<{ type: string; data: Record<string, unknown> }>();
    if (!stored || stored.data['request_id'] !== requestId) continue;
    const data = stored.data;
    rows.push({
      cursor: String(seq),
      event_id: String(data['event_id']),
      kind: stored.type.split('.')[2] as TraceEventRow['kind'],
      op_name: typeof data['op_name'] === 'string' ? data['op_name'] : null,
      ctx: data['ctx'] as string[],
      timestamp: new Date(String(data['timestamp'])).toISOString(),
      seq: Number(data['seq']),
      payload: data['payload'] as Record<string, unknown>,
    });
  }
  return rows;
}

const shape = (node: TraceNode): unknown => ({
  name: node.name,
  status: node.status,
  children: node.children.map(shape),
});

async function post(body: string | Uint8Array, headers: Record<string, string>) {
  const response = await fetch(`${fx.url}/v1/traces`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

it('stores nested GenAI spans from the OTLP/HTTP JSON exporter with their parentage, status and usage', async () => {
  const provider = new BasicTracerProvider({
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${fx.url}/v1/traces` })),
    ],
  });
  const tracer = provider.getTracer('otlp-test');
  const agent = tracer.startSpan('invoke_agent planner', {
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' },
  });
  const inAgent = trace.setSpan(context.active(), agent);
  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 30,
        'gen_ai.prompt': 'secret prompt',
      },
    },
    inAgent,
  );
  chat.addEvent('gen_ai.content.completion', { 'gen_ai.completion': 'secret answer' });
  chat.end();
  const tool = tracer.startSpan(
    'execute_tool search',
    { attributes: { 'gen_ai.tool.name': 'search' } },
    inAgent,
  );
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'search timed out' });
  tool.end();
  agent.end();
  await provider.forceFlush();
  await provider.shutdown();

  const requestId = agent.spanContext().traceId;
  const rows = await rowsOf(requestId);
  expect(JSON.stringify(rows)).not.toContain('secret');
  const tree = buildTree(requestId, rows);
  expect(tree?.roots.map(shape)).toEqual([
    {
      name: 'invoke_agent planner',
      status: 'ok',
      children: [
        { name: 'chat gpt-4o', status: 'ok', children: [] },
        { name: 'execute_tool search', status: 'error', children: [] },
      ],
    },
  ]);
  const chatNode = tree?.roots[0]?.children[0];
  expect(chatNode?.usage).toEqual(
    expect.objectContaining({ prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 }),
  );
  expect(chatNode?.annotations).toEqual(
    expect.arrayContaining([
      { key: 'gen_ai.request.model', value: 'gpt-4o' },
      { key: 'runlog.dropped_content', value: 2 },
      { key: 'runlog.cost_unknown', value: 'gpt-4o-2024-08-06' },
    ]),
  );
});

it('takes the OTLP/HTTP protobuf exporter, gzipped, and answers in protobuf', async () => {
  const provider = new BasicTracerProvider({
    spanProcessors: [
      new SimpleSpanProcessor(
        new ProtoExporter({ url: `${fx.url}/v1/traces`, compression: CompressionAlgorithm.GZIP }),
      ),
    ],
  });
  const tracer = provider.getTracer('otlp-proto-test');
  const agent = tracer.startSpan('invoke_agent proto');
  const chat = tracer.startSpan(
    'chat qwen3',
    {
      attributes: {
        'gen_ai.request.model': 'qwen3',
        'gen_ai.usage.input_tokens': 7,
        'gen_ai.usage.output_tokens': 3,
      },
    },
    trace.setSpan(context.active(), agent),
  );
  chat.setStatus({ code: SpanStatusCode.ERROR });
  chat.end();
  agent.end();
  await provider.forceFlush();
  await provider.shutdown();
  const requestId = agent.spanContext().traceId;
  const tree = buildTree(requestId, await rowsOf(requestId));
  expect(tree?.roots.map(shape)).toEqual([
    {
      name: 'invoke_agent proto',
      status: 'ok',
      children: [{ name: 'chat qwen3', status: 'error', children: [] }],
    },
  ]);
  expect(tree?.roots[0]?.children[0]?.usage).toEqual(
    expect.objectContaining({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }),
  );
  const garbage = await fetch(`${fx.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
  });
  expect(garbage.status).toBe(400);
  const empty = await fetch(`${fx.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array([0x0a, 0x00]),
  });
  expect(empty.status).toBe(200);
  expect(empty.headers.get('content-type')).toBe('application/x-protobuf');
});

it('answers 400 for a body that is not an ExportTraceServiceRequest, 415 for another type', async () => {
  expect((await post('{"resourceSpans": 3}', { 'content-type': 'application/json' })).status).toBe(
    400,
  );
  expect((await post('not json', { 'content-type': 'application/json' })).status).toBe(400);
  expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(415);
});

it('answers partial success with the count and reasons of refused spans', async () => {
  const good = {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    name: 'ok span',
    startTimeUnixNano: '1764000000000000000',
    endTimeUnixNano: '1764000000500000000',
  };
  const answer = await post(
    JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                good,
                { ...good, spanId: 'nothex', name: 'bad id' },
                { ...good, spanId: 'eee19b7ec3c1b175', endTimeUnixNano: '1' },
              ],
            },
          ],
        },
      ],
    }),
    { 'content-type': 'application/json' },
  );
  expect(answer.status).toBe(200);
  const partial = answer.body['partialSuccess'] as { rejectedSpans: number; errorMessage: string };
  expect(partial.rejectedSpans).toBe(2);
  expect(partial.errorMessage).toContain('spanId must be 16 hex digits');
  expect(partial.errorMessage).toContain('end not before start');
  const rows = await rowsOf(good.traceId);
  expect(buildTree(good.traceId, rows)?.roots.map((r) => r.name)).toEqual(['ok span']);
});
