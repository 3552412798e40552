import { familySubject, streamName } from '@runlog/contracts';
import { type DroppedEvent, events, HttpEventSink, type SinkProblem } from '@runlog/sdk';
import { uniqueName, waitFor } from '@runlog/testing';
import {
  occurrences,
  readSubject,
  type IngestApp,
  type SdkServer,
  startIngestApp,
  startServer,
} from './sdk-fixtures';

// The HTTP sink end to end against the ingest app (POST /v1/events), on a NATS server of
// this file's own.

let server: SdkServer;
let ingest: IngestApp;
const open: HttpEventSink[] = [];

beforeAll(async () => {
  server = await startServer();
  ingest = await startIngestApp(server.nats.url);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close(1_000)));
  await ingest.start();
});
afterAll(async () => {
  await ingest?.stop();
  await server?.close();
});

function sink(
  options: Partial<ConstructorParameters<typeof HttpEventSink>[0]> = {},
): HttpEventSink {
  const made = new HttpEventSink({
    url: ingest.url,
    backoff: { initialMs: 50, maxMs: 400 },
    lingerMs: 1,
    requestTimeoutMs: 5_000,
    ...options,
  });
  open.push(made);
  return made;
}

const started = (requestId: string, n: number, inputs: unknown = { n }) =>
  events.trace.opStart({
    event_id: `${requestId}-${n}`,
    request_id: requestId,
    op_name: 'agent.plan',
    ctx: ['main'],
    timestamp: '2026-11-23T10:00:00.000Z',
    seq: n,
    payload: { inputs },
  });

const traceEvents = (requestId: string) =>
  readSubject(server.nc, streamName('trace'), familySubject('trace', requestId));

describe('HttpEventSink against ingest', () => {
  it('delivers every event exactly once, retrying while ingest is down', async () => {
    const requestId = uniqueName('req');
    const problems: SinkProblem[] = [];
    const events = sink({ source: `svc/${uniqueName('http')}`, onError: (p) => problems.push(p) });
    const ids: string[] = [];
    const emit = (n: number) => {
      const id = uniqueName(`h${n}`);
      ids.push(id);
      events.emit({ ...started(requestId, n), id });
    };
    for (let n = 0; n < 1_000; n++) emit(n);
    await waitFor('the first acknowledgements', () =>
      events.stats().published > 0 ? true : undefined,
    );
    await ingest.stop();
    for (let n = 1_000; n < 2_000; n++) emit(n);
    await waitFor('a failed request', () =>
      problems.some((p) => /failed|ECONNREFUSED/.test(p.message)) ? true : undefined,
    );
    expect(events.stats().connected).toBe(false);
    await ingest.start();
    for (let n = 2_000; n < 3_000; n++) emit(n);
    expect(await events.flush(30_000)).toEqual({ ok: true });

    const stored = await traceEvents(requestId);
    const counts = occurrences(stored);
    expect(stored).toHaveLength(3_000);
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
    expect(stored.map((event) => event['sourceseq'])).toEqual(
      Array.from({ length: 3_000 }, (_, i) => i + 1),
    );
    expect(events.stats()).toMatchObject({ published: 3_000, buffered: 0, connected: true });
    expect(events.stats().retries).toBeGreaterThan(0);
  });

  it('reports an event ingest rejects, drops it without retrying, and records its gap', async () => {
    const requestId = uniqueName('req');
    const source = `svc/${uniqueName('bad')}`;
    const drops: DroppedEvent[] = [];
    const posts: string[] = [];
    const counting: typeof fetch = (input, init) => {
      posts.push(init?.body as string);
      return fetch(input, init);
    };
    // Larger than ingest allows (its NATS max_payload), but not than this sink: only
    // ingest can refuse it.
    const events = sink({
      source,
      maxEventBytes: 2 * 1024 * 1024,
      fetch: counting,
      onDrop: (drop) => drops.push(drop),
    });
    events.emit(started(requestId, 0));
    events.emit({ ...started(requestId, 1, 'x'.repeat(1_100_000)), id: 'too-big-1' });
    events.emit(started(requestId, 2));
    expect(await events.flush(20_000)).toEqual({ ok: true });

    expect(drops).toEqual([
      expect.objectContaining({
        reason: 'rejected',
        id: 'too-big-1',
        sourceseq: 2,
        errors: [expect.objectContaining({ code: 'too_large' })],
      }),
    ]);
    expect(posts.filter((body) => body.includes('too-big-1'))).toHaveLength(1);
    expect((await traceEvents(requestId)).map((event) => event['sourceseq'])).toEqual([1, 3]);
    const gaps = await readSubject(
      server.nc,
      streamName('producer'),
      familySubject('producer', source),
    );
    expect(gaps.map((gap) => gap['data'])).toEqual([
      expect.objectContaining({
        source,
        from_sourceseq: 2,
        to_sourceseq: 2,
        dropped: 1,
        families: { trace: 1 },
      }),
    ]);
    expect(events.stats()).toMatchObject({ dropped: { rejected: 1 }, gapsEmitted: 1 });
  });

  it('flushes on close()', async () => {
    const requestId = uniqueName('req');
    const events = new HttpEventSink({ url: ingest.url, source: 'svc/close', lingerMs: 60_000 });
    for (let n = 0; n < 700; n++) events.emit(started(requestId, n));
    expect(await events.close()).toEqual({ ok: true });
    expect(await traceEvents(requestId)).toHaveLength(700);
  });
});
