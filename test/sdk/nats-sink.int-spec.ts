import { jetstreamManager } from '@nats-io/jetstream';
import { familySubject, streamName } from '@runlog/contracts';
import { type DroppedEvent, events, NatsEventSink, type SinkProblem } from '@runlog/sdk';
import { uniqueName, waitFor } from '@runlog/testing';
import {
  occurrences,
  percentile,
  readSubject,
  type SdkServer,
  startIngestApp,
  startServer,
} from './sdk-fixtures';

// The NATS sink on a real server of this file's own, killed and started again on the same
// port and store to make outages.

let server: SdkServer;
const open: NatsEventSink[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close(1_000)));
  await server.nats.start().catch(() => undefined); // running again, whatever a test did
});
afterAll(async () => {
  await server?.close();
});

function sink(options: ConstructorParameters<typeof NatsEventSink>[0] = {}): NatsEventSink {
  const made = new NatsEventSink({
    servers: server.nats.url,
    backoff: { initialMs: 50, maxMs: 500 },
    lingerMs: 1,
    ...options,
  });
  open.push(made);
  return made;
}

const served = (model: string, n: number) =>
  events.engine.requestServed({
    route: '/v1/chat/completions',
    model,
    provider: 'local',
    latency_ms: n,
    status_code: 200,
  });

const engineEvents = (model: string) =>
  readSubject(server.nc, streamName('engine'), familySubject('engine', model));
const gapEvents = (source: string) =>
  readSubject(server.nc, streamName('producer'), familySubject('producer', source));

describe('NatsEventSink on real NATS', () => {
  it('delivers 10,000 events exactly once, in order, with NATS stopped for part of the run', async () => {
    const model = uniqueName('model');
    const source = `svc/${uniqueName('exactly-once')}`;
    const events = sink({ mode: 'direct', source, maxBufferedEvents: 20_000 });
    const ids: string[] = [];
    const emit = (n: number) => {
      const id = uniqueName(`e${n}`);
      ids.push(id);
      events.emit({ ...served(model, n), id });
    };
    for (let n = 0; n < 3_000; n++) emit(n);
    await waitFor('the first acknowledgements', () =>
      events.stats().published > 0 ? true : undefined,
    );
    await server.nats.kill();
    for (let n = 3_000; n < 7_000; n++) emit(n);
    expect(events.stats().buffered).toBeGreaterThan(3_000);
    await server.nats.start();
    for (let n = 7_000; n < 10_000; n++) emit(n);
    expect(await events.flush(30_000)).toEqual({ ok: true });

    const stored = await engineEvents(model);
    const counts = occurrences(stored);
    expect(stored).toHaveLength(10_000);
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
    const seqs = stored.map((event) => event['sourceseq'] as number);
    expect(seqs).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(events.stats()).toMatchObject({
      emitted: 10_000,
      published: 10_000,
      buffered: 0,
      dropped: { invalid: 0, overflow: 0, rejected: 0, closed: 0 },
      gapsEmitted: 0,
    });
    expect(events.stats().retries).toBeGreaterThan(0);
  });

  it('keeps emit in microseconds while NATS is down (p99 well under a millisecond)', async () => {
    const model = uniqueName('model');
    const events = sink({
      mode: 'direct',
      source: `svc/${uniqueName('latency')}`,
      maxBufferedEvents: 5_000,
    });
    await waitFor('a connection', () => (events.stats().connected ? true : undefined));
    await server.nats.kill();
    await waitFor('the disconnect', () => (events.stats().connected ? undefined : true));
    const samples: number[] = [];
    for (let n = 0; n < 10_000; n++) {
      const event = served(model, n);
      const started = process.hrtime.bigint();
      events.emit(event);
      samples.push(Number(process.hrtime.bigint() - started) / 1_000);
    }
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    process.stderr.write(
      `emit while NATS is down: p50 ${p50.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs\n`,
    );
    expect(p99).toBeLessThan(1_000);
    expect(events.stats()).toMatchObject({ connected: false, buffered: 5_000 });
    expect(events.stats().dropped.overflow).toBe(5_000);
  });

  it('turns a buffer overflow into exactly one gap event with the dropped range', async () => {
    const model = uniqueName('model');
    const source = `svc/${uniqueName('overflow')}`;
    const drops: DroppedEvent[] = [];
    const events = sink({
      mode: 'direct',
      source,
      maxBufferedEvents: 500,
      onDrop: (drop) => drops.push(drop),
    });
    await waitFor('a connection', () => (events.stats().connected ? true : undefined));
    await server.nats.kill();
    for (let n = 0; n < 1_200; n++) events.emit(served(model, n));
    expect(events.stats()).toMatchObject({ buffered: 500, gapsPending: 1 });
    await server.nats.start();
    expect(await events.flush(30_000)).toEqual({ ok: true });

    expect(drops).toHaveLength(700);
    expect(drops.every((drop) => drop.reason === 'overflow')).toBe(true);
    const gaps = await gapEvents(source);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({
      type: 'runlog.producer.gap',
      source,
      subject: source,
      data: {
        source,
        from_sourceseq: 1,
        to_sourceseq: 700,
        dropped: 700,
        families: { engine: 700 },
      },
    });
    const kept = (await engineEvents(model)).map((event) => event['sourceseq']);
    expect(kept).toEqual(Array.from({ length: 500 }, (_, i) => i + 701));
    expect(events.stats()).toMatchObject({ gapsEmitted: 1, gapsPending: 0 });
  });

  it('starts without blocking while NATS is down, and delivers once it is up', async () => {
    const model = uniqueName('model');
    await server.nats.kill();
    const problems: SinkProblem[] = [];
    const started = Date.now();
    const events = sink({
      mode: 'direct',
      source: `svc/${uniqueName('late')}`,
      onError: (p) => problems.push(p),
    });
    for (let n = 0; n < 100; n++) events.emit(served(model, n));
    expect(Date.now() - started).toBeLessThan(1_000);
    await waitFor('a failed connect', () =>
      problems.some((p) => p.code === 'connect_failed') ? true : undefined,
    );
    expect(events.stats()).toMatchObject({ connected: false, buffered: 100 });
    await server.nats.start();
    expect(await events.flush(30_000)).toEqual({ ok: true });
    expect(await engineEvents(model)).toHaveLength(100);
  });

  it('flushes on close(); closes its own connection but not one it was given', async () => {
    const model = uniqueName('model');
    const own = new NatsEventSink({
      servers: server.nats.url,
      mode: 'direct',
      source: 'svc/own',
      lingerMs: 60_000,
    });
    for (let n = 0; n < 1_000; n++) own.emit(served(model, n));
    expect(await own.close()).toEqual({ ok: true });
    expect(own.stats()).toMatchObject({ published: 1_000, buffered: 0, connected: false });
    expect(await engineEvents(model)).toHaveLength(1_000);

    const given = new NatsEventSink({ connection: server.nc, mode: 'direct', source: 'svc/given' });
    given.emit(served(model, 1_000));
    expect(await given.close()).toEqual({ ok: true });
    expect(server.nc.isClosed()).toBe(false);
    expect(await engineEvents(model)).toHaveLength(1_001);
  });

  it('sends CloudEvents extensions in the body, and traceparent/tracestate as NATS headers', async () => {
    const model = uniqueName('model');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const extensions = { traceparent, tracestate: 'rojo=00f067aa0ba902b7', gpu: 2 };
    const events = sink({ mode: 'direct', source: 'svc/ext' });
    events.emit({ ...served(model, 1), extensions });
    expect(await events.flush(10_000)).toEqual({ ok: true });
    const jsm = await jetstreamManager(server.nc);
    const stored = await jsm.streams.getMessage(streamName('engine'), {
      last_by_subj: familySubject('engine', model),
    });
    expect(stored?.json<Record<string, unknown>>()).toMatchObject(extensions);
    expect(stored?.header.get('traceparent')).toBe(traceparent);
    expect(stored?.header.get('tracestate')).toBe('rojo=00f067aa0ba902b7');
  });

  it('publishes through async ingress (ingest.<family>.<key>), gap events included, across an outage', async () => {
    const ingest = await startIngestApp(server.nats.url);
    try {
      const model = uniqueName('model');
      const source = `svc/${uniqueName('ingress')}`;
      const events = sink({ source, maxBufferedEvents: 1_000 });
      for (let n = 0; n < 300; n++) events.emit(served(model, n));
      expect(await events.flush(20_000)).toEqual({ ok: true });
      await server.nats.kill();
      for (let n = 300; n < 1_800; n++) events.emit(served(model, n));
      await server.nats.start();
      expect(await events.flush(30_000)).toEqual({ ok: true });

      // ingest routes from RUNLOG_INGEST to the family streams on its own time.
      const stored = await waitFor(
        'ingest to route every event',
        async () => {
          const found = await engineEvents(model);
          return found.length >= 1_300 ? found : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(stored.map((event) => event['sourceseq'])).toEqual([
        ...Array.from({ length: 300 }, (_, i) => i + 1),
        ...Array.from({ length: 1_000 }, (_, i) => i + 801),
      ]);
      const gaps = await waitFor('the gap event', async () => {
        const found = await gapEvents(source);
        return found.length > 0 ? found : undefined;
      });
      expect(gaps.map((gap) => gap['data'])).toEqual([
        expect.objectContaining({ from_sourceseq: 301, to_sourceseq: 800, dropped: 500 }),
      ]);
    } finally {
      await ingest.stop();
    }
  });
});
