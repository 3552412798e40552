import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type IngestFixture, startIngest } from './ingest-fixtures';

// ingest's second listener (OTLP_HTTP_PORT, D42) and the model price table
// (RUNLOG_MODEL_PRICES, D53): the real OTLP JSON exporter sends to the second port, which
// serves POST /v1/traces only, with the main port's auth.

jest.setTimeout(60_000);

const KEY = 'otlp-port-key-0000=trace';
let fx: IngestFixture;
let otlpUrl: string;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runlog-prices-'));
  const prices = join(dir, 'prices.yaml');
  writeFileSync(prices, 'gpt-4o:\n  input_per_token: 0.0000025\n  output_per_token: 0.00001\n');
  fx = await startIngest({
    OTLP_HTTP_PORT: '0',
    RUNLOG_MODEL_PRICES: prices,
    RUNLOG_API_KEYS: KEY,
  });
  const secondUrl = fx.services.apps[0]!.secondUrl;
  if (secondUrl === undefined) throw new Error('ingest has no second listener');
  otlpUrl = secondUrl.replace('[::1]', '127.0.0.1');
});
afterAll(async () => {
  await fx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: 'Bearer otlp-port-key-0000' };

async function usageOf(requestId: string): Promise<Record<string, unknown>[]> {
  const { state } = await fx.jsm.streams.info('RUNLOG_TRACE');
  const usages: Record<string, unknown>[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq += 1) {
    const message = await fx.jsm.streams.getMessage('RUNLOG_TRACE', { seq });
    const stored = message?.json<{ type: string; data: Record<string, unknown> }>();
    if (stored?.data['request_id'] === requestId && stored.type.endsWith('.llm_usage'))
      usages.push(stored.data['payload'] as Record<string, unknown>);
  }
  return usages;
}

it('takes an unmodified exporter on the second port and prices its usage by the model without its snapshot date', async () => {
  const provider = new BasicTracerProvider({
    spanProcessors: [
      new SimpleSpanProcessor(
        new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces`, headers: auth }),
      ),
    ],
  });
  const chat = provider.getTracer('otlp-port').startSpan('chat gpt-4o', {
    attributes: {
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
    },
  });
  chat.end();
  await provider.forceFlush();
  await provider.shutdown();
  const [usage, more] = await usageOf(chat.spanContext().traceId);
  expect(more).toBeUndefined();
  expect(usage).toEqual(
    expect.objectContaining({ model: 'gpt-4o-2024-08-06', total_tokens: 1100 }),
  );
  expect(usage?.['cost_usd']).toBeCloseTo(1000 * 0.0000025 + 100 * 0.00001, 12);
});

it('serves POST /v1/traces only, with the main port auth', async () => {
  const body = JSON.stringify({ resourceSpans: [] });
  const json = { 'content-type': 'application/json' };
  const traces = await fetch(`${otlpUrl}/v1/traces`, { method: 'POST', headers: json, body });
  expect(traces.status).toBe(401);
  const allowed = await fetch(`${otlpUrl}/v1/traces?x=1`, {
    method: 'POST',
    headers: { ...json, ...auth },
    body,
  });
  expect([allowed.status, await allowed.json()]).toEqual([200, {}]);
  for (const [method, path] of [
    ['POST', '/v1/events'],
    ['GET', '/v1/traces'],
    ['GET', '/health/ready'],
    ['GET', '/docs-json'],
  ] as const) {
    const response = await fetch(`${otlpUrl}${path}`, {
      method,
      headers: auth,
      ...(method === 'POST' ? { body: '[]' } : {}),
    });
    const answer = (await response.json()) as { error: { code: string; message: string } };
    expect([path, response.status, answer.error.code]).toEqual([path, 404, 'not_found']);
    expect(answer.error.message).toContain('POST /v1/traces');
  }
  // The main port still serves everything.
  expect((await fetch(`${fx.url}/health/live`)).status).toBe(200);
});
