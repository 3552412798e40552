import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { waitFor } from '@runlog/testing';
import { type AllServices, startAllServices } from '../services/all-services';

// OTLP out (D53): the real OTLP protobuf exporter sends GenAI spans to ingest's second
// listener (D42); trace-store answers the stored trace at /otlp as OTLP JSON, whose names,
// parentage, times, status and usage are those the SDK recorded.

jest.setTimeout(90_000);

let fx: AllServices;
beforeAll(async () => {
  fx = await startAllServices({ OTLP_HTTP_PORT: '0' });
});
afterAll(async () => {
  await fx?.close();
});

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly status: { readonly code?: number };
  readonly attributes: ReadonlyArray<{
    readonly key: string;
    readonly value: Record<string, unknown>;
  }>;
}
interface OtlpRequest {
  readonly resourceSpans: ReadonlyArray<{
    readonly scopeSpans: ReadonlyArray<{ readonly spans: readonly OtlpSpan[] }>;
  }>;
}

const ms = (nanos: string | bigint): number => Number(BigInt(nanos) / 1_000_000n);
// Stored times are milliseconds, and ingest's ns → ms passes through a double (D40): the
// sent time is kept to within a millisecond, so both sides are compared to within 1 ms.
const hrMs = ([s, n]: [number, number]): number => s * 1000 + Math.floor(n / 1_000_000);
const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1;
const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};

async function sendGenAiTrace(): Promise<ReadableSpan[]> {
  const ingest = fx.services.apps.find((app) => app.name === 'ingest');
  const url = ingest?.secondUrl?.replace('[::1]', '127.0.0.1');
  if (url === undefined) throw new Error('ingest has no OTLP_HTTP_PORT listener');
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` })),
      new SimpleSpanProcessor(memory),
    ],
  });
  const tracer = provider.getTracer('round-trip');
  const agent = tracer.startSpan('invoke_agent planner', {
    attributes: { 'gen_ai.operation.name': 'invoke_agent' },
  });
  const inAgent = trace.setSpan(context.active(), agent);
  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      attributes: {
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 30,
      },
    },
    inAgent,
  );
  chat.addEvent('retry', { attempt: 2 });
  chat.end();
  const tool = tracer.startSpan('execute_tool search', {}, inAgent);
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'timed out' });
  tool.end();
  agent.end();
  await provider.forceFlush();
  // Read before shutdown, which empties the in-memory exporter.
  const sent = [...memory.getFinishedSpans()];
  await provider.shutdown();
  return sent;
}

it('answers the stored trace as OTLP JSON with the names, parentage, times, status and usage sent', async () => {
  const sent = await sendGenAiTrace();
  const traceId = sent[0]!.spanContext().traceId;
  const base = fx.url('trace-store');
  await waitFor('the three spans ended in trace-store', async () => {
    const tree = (await (await fetch(`${base}/v1/traces/${traceId}/tree`)).json()) as {
      roots?: Array<{ status: string; children: Array<{ status: string }> }>;
    };
    const root = tree.roots?.[0];
    return root && root.status !== 'open' && root.children.length === 2 ? true : undefined;
  });
  const response = await fetch(`${base}/v1/traces/${traceId}/otlp`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as OtlpRequest;
  const spans = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

  const summary = (name: string, parent: string | undefined, error: boolean) => ({
    name,
    parent,
    error,
  });
  const sentByName = new Map(sent.map((span) => [span.name, span]));
  for (const span of spans) {
    const original = sentByName.get(span.name)!;
    expect([span.name, near(ms(span.startTimeUnixNano), hrMs(original.startTime))]).toEqual([
      span.name,
      true,
    ]);
    expect([span.name, near(ms(span.endTimeUnixNano), hrMs(original.endTime))]).toEqual([
      span.name,
      true,
    ]);
  }
  expect(
    spans
      .map((s) => summary(s.name, s.parentSpanId || undefined, s.status.code === 2))
      .sort((a, b) => a.name.localeCompare(b.name)),
  ).toEqual(
    sent
      .map((s) =>
        summary(s.name, s.parentSpanContext?.spanId, s.status.code === SpanStatusCode.ERROR),
      )
      .sort((a, b) => a.name.localeCompare(b.name)),
  );
  expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
  expect(spans.map((s) => s.spanId).sort()).toEqual(sent.map((s) => s.spanContext().spanId).sort());
  const chat = spans.find((s) => s.name === 'chat gpt-4o')!;
  expect(Number(attribute(chat, 'gen_ai.usage.input_tokens'))).toBe(120);
  expect(Number(attribute(chat, 'gen_ai.usage.output_tokens'))).toBe(30);
  expect(attribute(chat, 'gen_ai.response.model')).toBe('gpt-4o-2024-08-06');
  expect(attribute(chat, 'runlog.cost_unknown')).toBe('gpt-4o-2024-08-06');
});

it('answers 404 for an unknown trace', async () => {
  const response = await fetch(`${fx.url('trace-store')}/v1/traces/no-such-trace/otlp`);
  expect(response.status).toBe(404);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
});
