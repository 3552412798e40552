import { decode, type RunlogEvent } from '@runlog/contracts';
import { Registry } from 'prom-client';
import { type AnyEventInput } from '../events/event-input';
import { events } from '../events/builders';
import { type DroppedEvent, type SinkOptions, type SinkProblem } from '../types';
import { BufferedSink } from './buffered-sink';
import { type Entry } from './entry';
import { type Outcome, type Transport, type TransportListener } from './transport';

/** A transport whose answers the test decides; it records every batch it was given. */
class FakeTransport implements Transport {
  ready = true;
  connected = true;
  readonly batches: Entry[][] = [];
  listener: TransportListener | undefined;
  answer: (batch: readonly Entry[]) => Outcome[] | Promise<Outcome[]> = (batch) =>
    batch.map(() => ({ kind: 'acked', duplicate: false }));

  maxEventBytes(): number {
    return Number.MAX_SAFE_INTEGER;
  }
  start(listener: TransportListener): void {
    this.listener = listener;
  }
  async send(batch: readonly Entry[]): Promise<Outcome[]> {
    this.batches.push([...batch]);
    return this.answer(batch);
  }
  async close(): Promise<void> {}

  /** Every event that was acknowledged, decoded, in the order sent. */
  delivered: RunlogEvent[] = [];
  ackAll(): void {
    this.answer = (batch) => {
      for (const entry of batch) {
        const decoded = decode(JSON.parse(entry.body));
        if (decoded.ok) this.delivered.push(decoded.value);
      }
      return batch.map(() => ({ kind: 'acked', duplicate: false }));
    };
  }
  goOffline(): void {
    this.ready = false;
    this.connected = false;
  }
  comeBack(): void {
    this.ready = true;
    this.connected = true;
    this.listener?.ready();
  }
}

const served = (n: number, source?: string): AnyEventInput =>
  events.engine.requestServed(
    { route: '/v1/chat', model: 'm-1', provider: 'local', latency_ms: n, status_code: 200 },
    source === undefined ? {} : { source },
  );

function sink(transport: FakeTransport, options: SinkOptions = {}): BufferedSink {
  return new BufferedSink(
    transport,
    {
      source: 'svc/test@host',
      lingerMs: 0,
      backoff: { initialMs: 1, maxMs: 4 },
      ...options,
    },
    { batchSize: 10 },
  );
}

const sinks: BufferedSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close(100)));
});
function open(transport: FakeTransport, options: SinkOptions = {}): BufferedSink {
  const made = sink(transport, options);
  sinks.push(made);
  return made;
}

describe('BufferedSink: emit', () => {
  it('stamps specversion, a uuid id, time and a per-source sourceseq from 1', async () => {
    const transport = new FakeTransport();
    transport.ackAll();
    const events = open(transport);
    events.emit(served(1));
    events.emit(served(2, 'other/src'));
    events.emit(served(3));
    expect(await events.flush(5_000)).toEqual({ ok: true });
    const [a, b, c] = transport.delivered;
    expect([a?.source, a?.sourceseq, b?.source, b?.sourceseq, c?.sourceseq]).toEqual([
      'svc/test@host',
      1,
      'other/src',
      1,
      2,
    ]);
    expect(a?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(a?.time ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.parse(transport.batches[0]![0]!.body)).toMatchObject({
      specversion: '1.0',
      type: 'runlog.engine.request_served',
      subject: 'm-1',
      datacontenttype: 'application/json',
    });
  });

  it('keeps given ids and times, and starts a source where sourceseqStart says', async () => {
    const transport = new FakeTransport();
    transport.ackAll();
    const events = open(transport, { sourceseqStart: () => 41 });
    events.emit({ ...served(1), id: 'my-id', time: new Date('2026-01-02T03:04:05Z') });
    events.emit(served(2));
    await events.flush(5_000);
    expect(transport.delivered.map((e) => [e.id, e.time, e.sourceseq])).toEqual([
      ['my-id', '2026-01-02T03:04:05.000Z', 41],
      [expect.any(String), expect.any(String), 42],
    ]);
  });

  it('reports invalid events through onDrop and counters, never throws, and spends no sourceseq', async () => {
    const transport = new FakeTransport();
    transport.ackAll();
    const drops: DroppedEvent[] = [];
    const events = open(transport, {
      onDrop: (drop) => {
        drops.push(drop);
        throw new Error('a careless callback');
      },
    });
    const smuggled = {
      ...served(1),
      data: { ...served(1).data, prompt: 'secret' },
    } as unknown as AnyEventInput;
    const bad: unknown[] = [
      smuggled,
      null,
      'text',
      { type: 'runlog.nope.kind', data: {} },
      { ...served(1), sourceseq: 7 },
      { type: 'runlog.canonical.RunStarted', data: {} },
      { type: 'runlog.producer.gap', data: {} },
    ];
    for (const input of bad) expect(() => events.emit(input as AnyEventInput)).not.toThrow();
    events.emit(served(2));
    await events.flush(5_000);
    expect(drops.map((d) => d.reason)).toEqual(Array(bad.length).fill('invalid'));
    const codes = drops.map((d) => d.errors.map((e) => `${e.path} ${e.code}`).join());
    expect(codes).toEqual(
      expect.arrayContaining([
        'data.prompt confidentiality_violation',
        ' invalid_type',
        'type unknown_family',
        'sourceseq invalid_value',
        'type invalid_value',
      ]),
    );
    expect(drops.find((d) => d.type === 'runlog.canonical.RunStarted')?.message).toMatch(
      /normalizer/,
    );
    expect(events.stats().dropped.invalid).toBe(bad.length);
    expect(transport.delivered.map((e) => e.sourceseq)).toEqual([1]);
  });

  it('needs a source, from the sink or the event', async () => {
    const drops: DroppedEvent[] = [];
    const events = new BufferedSink(
      new FakeTransport(),
      { onDrop: (d) => drops.push(d) },
      { batchSize: 1 },
    );
    sinks.push(events);
    events.emit(served(1));
    await events.flush(1_000);
    expect(drops[0]?.errors).toEqual([
      expect.objectContaining({ path: 'source', code: 'required' }),
    ]);
  });

  it('rejects an event larger than maxEventBytes (too_large)', async () => {
    const drops: DroppedEvent[] = [];
    const events = open(new FakeTransport(), { maxEventBytes: 300, onDrop: (d) => drops.push(d) });
    events.emit(events_with_route(`/${'x'.repeat(255)}`));
    await events.flush(1_000);
    expect(drops[0]?.errors[0]?.code).toBe('too_large');
  });
});

function events_with_route(route: string): AnyEventInput {
  return events.engine.requestServed({
    route,
    model: 'm-1',
    provider: 'local',
    latency_ms: 1,
    status_code: 200,
  });
}

describe('BufferedSink: buffer overflow and gap events', () => {
  it('drops the oldest waiting events and records one gap per contiguous range once a send succeeds', async () => {
    const transport = new FakeTransport();
    transport.goOffline();
    const drops: DroppedEvent[] = [];
    const events = open(transport, { maxBufferedEvents: 20, onDrop: (d) => drops.push(d) });
    for (let i = 1; i <= 50; i++) events.emit(served(i));
    expect(events.stats()).toMatchObject({ buffered: 20, emitted: 50, gapsPending: 1 });
    expect(events.stats().dropped.overflow).toBe(30);
    expect(drops.map((d) => d.sourceseq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(drops.every((d) => d.reason === 'overflow')).toBe(true);

    transport.ackAll();
    transport.comeBack();
    expect(await events.flush(5_000)).toEqual({ ok: true });
    const gaps = transport.delivered.filter((e) => e.family === 'producer');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({
      kind: 'gap',
      source: 'svc/test@host',
      subject: 'svc/test@host',
      data: {
        source: 'svc/test@host',
        from_sourceseq: 1,
        to_sourceseq: 30,
        dropped: 30,
        families: { engine: 30 },
      },
    });
    expect('sourceseq' in gaps[0]!).toBe(false);
    const kept = transport.delivered.filter((e) => e.family === 'engine').map((e) => e.sourceseq);
    expect(kept).toEqual(Array.from({ length: 20 }, (_, i) => i + 31));
    expect(events.stats()).toMatchObject({ gapsEmitted: 1, gapsPending: 0, published: 20 });
  });

  it('never drops the batch in flight; drops by bytes too', async () => {
    const transport = new FakeTransport();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    transport.answer = async (batch) => {
      await held;
      return batch.map(() => ({ kind: 'acked', duplicate: false }));
    };
    const size = JSON.stringify(served(1)).length;
    const events = open(transport, { maxBufferedBytes: size * 40 });
    for (let i = 1; i <= 10; i++) events.emit(served(i));
    // The loop took the first batch (10 events): it is in flight.
    await waitUntil(() => events.stats().inFlight === 10);
    for (let i = 11; i <= 200; i++) events.emit(served(i));
    const stats = events.stats();
    expect(stats.inFlight).toBe(10);
    expect(stats.bufferedBytes).toBeLessThanOrEqual(size * 40);
    expect(stats.dropped.overflow).toBeGreaterThan(100);
    release();
    transport.ackAll();
    expect(await events.flush(5_000)).toEqual({ ok: true });
    const gap = transport.delivered.find((e) => e.family === 'producer');
    expect(gap?.data).toMatchObject({ from_sourceseq: 11, dropped: stats.dropped.overflow });
  });

  it('records two ranges (two gap events) when drops of one source are not contiguous', async () => {
    const transport = new FakeTransport();
    transport.goOffline();
    const events = open(transport, { maxBufferedEvents: 10 });
    for (let i = 1; i <= 15; i++) events.emit(served(i)); // drops 1..5
    transport.ackAll();
    transport.comeBack();
    await events.flush(5_000);
    transport.goOffline();
    for (let i = 16; i <= 40; i++) events.emit(served(i)); // drops 16..30
    transport.comeBack();
    await events.flush(5_000);
    const ranges = transport.delivered
      .filter((e) => e.family === 'producer')
      .map((e) => [
        (e.data as { from_sourceseq: number }).from_sourceseq,
        (e.data as { to_sourceseq: number }).to_sourceseq,
      ]);
    expect(ranges).toEqual([
      [1, 5],
      [16, 30],
    ]);
  });
});

describe('BufferedSink: sending', () => {
  it('retries with backoff until acked, in order, each event delivered once', async () => {
    const transport = new FakeTransport();
    const problems: SinkProblem[] = [];
    let failures = 3;
    transport.ackAll();
    const ack = transport.answer;
    transport.answer = (batch) =>
      failures-- > 0 ? batch.map(() => ({ kind: 'retry', message: 'down' })) : ack(batch);
    const events = open(transport, { onError: (p) => problems.push(p) });
    for (let i = 1; i <= 25; i++) events.emit(served(i));
    expect(await events.flush(5_000)).toEqual({ ok: true });
    expect(transport.delivered.map((e) => e.sourceseq)).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    expect(events.stats()).toMatchObject({ retries: 3, published: 25, buffered: 0 });
    expect(problems.map((p) => [p.code, p.attempt])).toEqual([
      ['publish_failed', 1],
      ['publish_failed', 2],
      ['publish_failed', 3],
    ]);
  });

  it('batches by batchSize and batchBytes', async () => {
    const transport = new FakeTransport();
    transport.ackAll();
    const one = Buffer.byteLength(JSON.stringify(served(1))) + 200;
    const events = open(transport, { batchBytes: one * 3 });
    for (let i = 1; i <= 25; i++) events.emit(served(i));
    await events.flush(5_000);
    expect(Math.max(...transport.batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    const wide = new FakeTransport();
    wide.ackAll();
    const many = open(wide);
    for (let i = 1; i <= 25; i++) many.emit(served(i));
    await many.flush(5_000);
    expect(wide.batches.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it('drops a rejected event (reported, recorded as a gap) and one refused five times', async () => {
    const transport = new FakeTransport();
    const drops: DroppedEvent[] = [];
    transport.ackAll();
    const ack = transport.answer;
    transport.answer = (batch) => {
      const acked = ack(batch.filter((e) => e.sourceseq !== 2 && e.sourceseq !== 3)) as Outcome[];
      return batch.map((entry): Outcome => {
        if (entry.sourceseq === 2)
          return {
            kind: 'rejected',
            message: 'no',
            errors: [{ path: '', code: 'too_large', message: 'big' }],
          };
        if (entry.sourceseq === 3) return { kind: 'refused', message: 'odd' };
        return acked[0] ?? { kind: 'acked', duplicate: false };
      });
    };
    const events = open(transport, { onDrop: (d) => drops.push(d) });
    for (let i = 1; i <= 4; i++) events.emit(served(i));
    expect(await events.flush(5_000)).toEqual({ ok: true });
    expect(drops.map((d) => [d.reason, d.sourceseq, d.errors.length])).toEqual([
      ['rejected', 2, 1],
      ['rejected', 3, 0],
    ]);
    expect(transport.batches.filter((b) => b.some((e) => e.sourceseq === 3))).toHaveLength(5);
    const gaps = transport.delivered.filter((e) => e.family === 'producer');
    expect(gaps.map((g) => g.data)).toEqual([
      expect.objectContaining({ from_sourceseq: 2, to_sourceseq: 2, dropped: 1 }),
      expect.objectContaining({ from_sourceseq: 3, to_sourceseq: 3, dropped: 1 }),
    ]);
  });

  it('answers a flush that times out with how many events still wait', async () => {
    const transport = new FakeTransport();
    transport.goOffline();
    const events = open(transport);
    for (let i = 1; i <= 7; i++) events.emit(served(i));
    expect(await events.flush(30)).toEqual({ ok: false, pending: 7 });
    transport.ackAll();
    transport.comeBack();
    expect(await events.flush(5_000)).toEqual({ ok: true });
  });
});

describe('BufferedSink: close', () => {
  it('flushes before it closes, then drops (and reports) what is emitted later', async () => {
    const transport = new FakeTransport();
    transport.ackAll();
    const drops: DroppedEvent[] = [];
    const events = sink(transport, { lingerMs: 10_000, onDrop: (d) => drops.push(d) });
    for (let i = 1; i <= 3; i++) events.emit(served(i));
    expect(await events.close()).toEqual({ ok: true });
    expect(transport.delivered).toHaveLength(3);
    events.emit(served(4));
    expect(drops.map((d) => d.reason)).toEqual(['closed']);
    expect(await events.close()).toEqual({ ok: true });
  });

  it('gives up after its timeout and reports every event left, and the unrecorded gap', async () => {
    const transport = new FakeTransport();
    transport.goOffline();
    const drops: DroppedEvent[] = [];
    const events = sink(transport, { maxBufferedEvents: 10, onDrop: (d) => drops.push(d) });
    for (let i = 1; i <= 12; i++) events.emit(served(i));
    expect(await events.close(30)).toEqual({ ok: false, pending: 11 });
    expect(drops.filter((d) => d.reason === 'closed')).toHaveLength(11);
    expect(drops.at(-1)?.message).toMatch(/sourceseq 1\.\.2 .* could not be published/);
    expect(events.stats()).toMatchObject({ buffered: 0, dropped: { overflow: 2, closed: 11 } });
  });
});

describe('BufferedSink: metrics', () => {
  it('adds runlog_sdk_* metrics to a given registry', async () => {
    const registry = new Registry();
    const transport = new FakeTransport();
    transport.ackAll();
    const events = open(transport, { registry, name: 'unit' });
    events.emit(served(1));
    events.emit({ type: 'runlog.engine.request_served' } as unknown as AnyEventInput);
    await events.flush(5_000);
    const text = await registry.metrics();
    expect(text).toContain('runlog_sdk_emitted_total{sink="unit"} 2');
    expect(text).toContain('runlog_sdk_published_total{sink="unit"} 1');
    expect(text).toContain('runlog_sdk_dropped_total{sink="unit",reason="invalid"} 1');
    expect(text).toContain('runlog_sdk_buffered_events{sink="unit"} 0');
    expect(text).toContain('runlog_sdk_connected{sink="unit"} 1');
    // A second sink on the same registry shares the metrics.
    open(new FakeTransport(), { registry, name: 'unit-2' });
    expect(await registry.metrics()).toContain('runlog_sdk_connected{sink="unit-2"} 1');
  });
});

async function waitUntil(test: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(test()).toBe(true);
}
