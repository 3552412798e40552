import { type Entry } from '../core/entry';
import { HttpTransport } from './http-transport';

const entry = (n: number): Entry => ({
  seq: n,
  id: `id-${n}`,
  type: 'runlog.trace.op_start',
  family: 'trace',
  kind: 'op_start',
  source: 's',
  sourceseq: n,
  key: 'r',
  body: JSON.stringify({ n }),
  bytes: 7,
  refusals: 0,
});
const batch = [entry(0), entry(1), entry(2)];

function transport(answer: (body: unknown[]) => { status: number; body?: unknown } | Error) {
  const requests: { url: string; headers: Record<string, string>; body: unknown[] }[] = [];
  const fake = (async (url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(init?.body as string) as unknown[];
    requests.push({ url: url as string, headers: init?.headers as Record<string, string>, body });
    const result = answer(body);
    if (result instanceof Error) throw result;
    return new Response(result.body === undefined ? null : JSON.stringify(result.body), {
      status: result.status,
    });
  }) as typeof fetch;
  const http = new HttpTransport({
    url: 'http://ingest.test/',
    apiKey: 'k1',
    requestTimeoutMs: 1_000,
    fetch: fake,
  });
  return { http, requests };
}

describe('HttpTransport', () => {
  it('posts a batch as application/cloudevents-batch+json with the API key, 202 acks all', async () => {
    const { http, requests } = transport(() => ({
      status: 202,
      body: { accepted: [{ index: 0 }, { index: 1, duplicate: true }, { index: 2 }] },
    }));
    expect(await http.send(batch)).toEqual([
      { kind: 'acked', duplicate: false },
      { kind: 'acked', duplicate: true },
      { kind: 'acked', duplicate: false },
    ]);
    expect(requests[0]).toMatchObject({
      url: 'http://ingest.test/v1/events',
      headers: {
        'content-type': 'application/cloudevents-batch+json',
        authorization: 'Bearer k1',
      },
      body: [{ n: 0 }, { n: 1 }, { n: 2 }],
    });
  });

  it('drops the events a 400 names and sends the others again', async () => {
    const errors = [{ path: 'data.x', code: 'unknown_property', message: 'x' }];
    const { http } = transport(() => ({
      status: 400,
      body: { error: { code: 'validation_failed' }, rejected: [{ index: 1, errors }] },
    }));
    const outcomes = await http.send(batch);
    expect(outcomes.map((o) => o.kind)).toEqual(['again', 'rejected', 'again']);
    expect(outcomes[1]).toMatchObject({ errors });
    expect(outcomes[1]?.kind === 'rejected' && outcomes[1].message).toMatch(
      /400 validation_failed/,
    );
  });

  it('drops the events of a forbidden family (403) and sends the others again', async () => {
    const { http } = transport(() => ({
      status: 403,
      body: { error: { code: 'forbidden', details: [{ index: 2, family: 'trace' }] } },
    }));
    expect((await http.send(batch)).map((o) => o.kind)).toEqual(['again', 'again', 'rejected']);
  });

  it('halves a batch on 413 until one event alone is too large', async () => {
    const { http, requests } = transport((body) =>
      body.length > 1 || (body[0] as { n: number }).n === 2
        ? { status: 413, body: { error: { code: 'payload_too_large' } } }
        : { status: 202, body: { accepted: [{ index: 0 }] } },
    );
    const outcomes = await http.send(batch);
    expect(outcomes.map((o) => o.kind)).toEqual(['acked', 'acked', 'rejected']);
    expect(requests.map((r) => r.body.length)).toEqual([3, 2, 1, 1, 1]);
  });

  it('acks what a 503 wrote and retries the rest', async () => {
    const { http } = transport(() => ({
      status: 503,
      body: {
        error: { code: 'unavailable' },
        accepted: [{ index: 0 }],
        failed: [{ index: 1 }, { index: 2 }],
      },
    }));
    expect((await http.send(batch)).map((o) => o.kind)).toEqual(['acked', 'retry', 'retry']);
  });

  it.each([
    ['a network error', () => new TypeError('fetch failed')],
    ['a 500', () => ({ status: 500 })],
    ['a 401', () => ({ status: 401, body: { error: { code: 'unauthorized' } } })],
    ['a 429', () => ({ status: 429 })],
  ])('retries the whole batch after %s', async (_name, answer) => {
    const { http } = transport(answer);
    expect((await http.send(batch)).map((o) => o.kind)).toEqual(['retry', 'retry', 'retry']);
    expect(http.connected).toBe(false);
  });
});
