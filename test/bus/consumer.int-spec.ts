import { type DeliveredEvent, exampleEvent } from '@runlog/contracts';
import {
  DEAD_LETTER_HEADERS,
  type EventContext,
  type Gap,
  Outcome,
  type PublishManyResult,
} from '@runlog/bus';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { uniqueName } from '@runlog/testing';
import { type BusFixture, Recorder, startBus, traceEvents } from './bus-fixtures';
import { settled, waitForDeadLetters } from './bus-waits';

const fast = { backoff: { initialMs: 20, maxMs: 100 } } as const;

describe('durable pull consumers', () => {
  let fx: BusFixture;
  beforeAll(async () => {
    fx = await startBus();
  });
  afterAll(() => fx?.close(), 30_000);
  beforeEach(async () => {
    await fx.bus.manager.streams.purge('RUNLOG_TRACE');
    await fx.bus.manager.streams.purge('RUNLOG_DEADLETTER');
  });

  it('redelivers after a handler throws and never acks the failed delivery', async () => {
    const durable = uniqueName('c');
    const seen = new Recorder<{ id: string; delivery: number }>();
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      ...fast,
      handler: {
        mode: 'event',
        handle: (event, ctx) => {
          seen.push({ id: event.id, delivery: ctx.deliveryCount });
          if (ctx.deliveryCount < 3) throw new Error('transient');
        },
      },
    });
    const [event] = traceEvents(1);
    const published = await fx.bus.publish(event!);
    await seen.count(3);
    await consumer.stop();
    expect(seen.items).toEqual([1, 2, 3].map((delivery) => ({ id: event!.id, delivery })));
    const info = await settled(fx, durable, (i) => i.num_ack_pending === 0);
    expect(info.ack_floor.stream_seq).toBe(Number(published.cursor));
  });

  it('with concurrency N, handles N events at once (each worker wakes for its own message)', async () => {
    const durable = uniqueName('c');
    const N = 4;
    let inFlight = 0;
    let peak = 0;
    let release!: () => void;
    const allIn = new Promise<void>((resolve) => (release = resolve));
    const done = new Recorder<string>();
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      concurrency: N,
      handler: {
        mode: 'event',
        handle: async (event) => {
          peak = Math.max(peak, ++inFlight);
          if (inFlight === N) release();
          await allIn; // every handler waits until N of them are running side by side
          inFlight--;
          done.push(event.id);
        },
      },
    });
    // One at a time, so each message finds the workers idle rather than a full queue.
    for (const event of traceEvents(N)) await fx.bus.publish(event);
    await done.count(N);
    await consumer.stop();
    expect(peak).toBe(N);
  });

  it('dead-letters after max_deliver with the reason and the original, then acks', async () => {
    const durable = uniqueName('c');
    const seen = new Recorder<number>();
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      maxDeliver: 2,
      ...fast,
      handler: {
        mode: 'event',
        handle: (_, ctx) => {
          seen.push(ctx.deliveryCount);
          throw new Error('database down');
        },
      },
    });
    const [event] = traceEvents(1);
    const published = await fx.bus.publish(event!);
    const letters = await waitForDeadLetters(fx, durable, 1);
    await consumer.stop();
    expect(seen.items).toEqual([1, 2]);
    const [letter] = letters;
    expect(letter).toMatchObject({
      consumer: durable,
      family: 'trace',
      cause: 'max_deliver',
      originalStream: 'RUNLOG_TRACE',
      originalSeq: Number(published.cursor),
      originalSubject: 'events.trace.req-1',
      deliveries: 2,
    });
    expect(letter!.reason).toContain('database down');
    expect(JSON.parse(new TextDecoder().decode(letter!.body))).toMatchObject({ id: event!.id });
    expect(letter!.headers[DEAD_LETTER_HEADERS.msgId]).toBe(event!.id);
    await settled(fx, durable, (i) => i.num_ack_pending === 0);
  });

  it('sends an undecodable message straight to the dead letters without calling the handler', async () => {
    const durable = uniqueName('c');
    const handled = new Recorder<string>();
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      handler: { mode: 'event', handle: (e) => handled.push(e.id) },
    });
    const h = natsHeaders();
    h.set('Nats-Msg-Id', uniqueName('bad'));
    const bad = await fx.bus.publisher.publishRaw(
      'events.trace.req-1',
      new TextEncoder().encode('{"specversion":"1.0","type":"runlog.trace.op_start"}'),
      h,
    );
    const [good] = traceEvents(1);
    await fx.bus.publish(good!);
    await handled.count(1);
    const [letter] = await waitForDeadLetters(fx, durable, 1);
    await consumer.stop();
    expect(handled.items).toEqual([good!.id]);
    expect(letter).toMatchObject({
      cause: 'decode_failed',
      deliveries: 1,
      originalSeq: Number(bad.cursor),
    });
    expect(letter!.reason).toContain('data');
  });

  it('honours a handler outcome: dead_letter with its reason, retry after its delay', async () => {
    const durable = uniqueName('c');
    const seen = new Recorder<{ id: string; delivery: number }>();
    const [poison, flaky] = traceEvents(2);
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      handler: {
        mode: 'event',
        handle: (event, ctx) => {
          seen.push({ id: event.id, delivery: ctx.deliveryCount });
          if (event.id === poison!.id) return Outcome.deadLetter('schema v1 is not supported');
          return ctx.deliveryCount === 1 ? Outcome.retry(50, 'not yet') : Outcome.ack();
        },
      },
    });
    await fx.bus.publishMany([poison!, flaky!]);
    await seen.until(
      (items) => items.some((i) => i.id === flaky!.id && i.delivery === 2),
      'the retry',
    );
    const [letter] = await waitForDeadLetters(fx, durable, 1);
    await consumer.stop();
    expect(letter).toMatchObject({ cause: 'handler', reason: 'schema v1 is not supported' });
    expect(seen.items.filter((i) => i.id === poison!.id)).toHaveLength(1);
  });

  it('gives a batch handler events in stream order, one call per batch', async () => {
    const durable = uniqueName('c');
    const batches = new Recorder<string[]>();
    const events = traceEvents(250);
    const published = cursorsOf(await fx.bus.publishMany(events));
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      handler: {
        mode: 'batch',
        size: 100,
        handle: (batch, ctx) => {
          batches.push(batch.map((e) => e.cursor));
          expect(ctx.lastCursor).toBe(batch.at(-1)?.cursor);
        },
      },
    });
    await batches.until((all) => all.flat().length >= 250, '250 events');
    await consumer.stop();
    expect(batches.items.flat()).toEqual(published);
    expect(Math.max(...batches.items.map((b) => b.length))).toBeLessThanOrEqual(100);
    expect(batches.items.length).toBeLessThan(250);
  });

  it('splits one durable between two instances without loss or double handling', async () => {
    const durable = uniqueName('c');
    const seen = new Recorder<{ cursor: string; instance: number }>();
    const other = await fx.connect();
    const handler = (instance: number) => ({
      mode: 'event' as const,
      handle: async (event: DeliveredEvent<'trace'>) => {
        await new Promise((resolve) => setImmediate(resolve));
        seen.push({ cursor: event.cursor, instance });
      },
    });
    const a = await fx.bus.consume({ durable, family: 'trace', handler: handler(1) });
    const b = await other.consume({ durable, family: 'trace', handler: handler(2) });
    await fx.bus.publishMany(traceEvents(1_000));
    await seen.count(1_000);
    await Promise.all([a.stop(), b.stop()]);
    const cursors = new Set(seen.items.map((s) => s.cursor));
    expect(cursors.size).toBe(1_000);
    expect(seen.items).toHaveLength(1_000);
    expect(new Set(seen.items.map((s) => s.instance))).toEqual(new Set([1, 2]));
  });

  it('redelivers what a crashed instance held without acking', async () => {
    const durable = uniqueName('c');
    const crashed = await fx.connect();
    const took = new Recorder<string>();
    await crashed.consume({
      durable,
      family: 'trace',
      ackWaitMs: 1_000,
      stopTimeoutMs: 100, // its handler never returns: let the fixture's close() give up on it
      handler: {
        mode: 'event',
        handle: (e) => {
          took.push(e.cursor);
          return new Promise<void>(() => undefined);
        },
      },
    });
    const published = cursorsOf(await fx.bus.publishMany(traceEvents(3)));
    await took.count(1);
    await crashed.connection.close(); // no ack, no drain: a crash
    const seen = new Recorder<{ cursor: string; delivery: number }>();
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      ackWaitMs: 1_000,
      handler: {
        mode: 'event',
        handle: (e, ctx: EventContext) =>
          seen.push({ cursor: e.cursor, delivery: ctx.deliveryCount }),
      },
    });
    await seen.count(3);
    await consumer.stop();
    expect(seen.items.map((s) => s.cursor).sort()).toEqual([...published].sort());
    expect(seen.items.find((s) => s.cursor === took.items[0])?.delivery).toBeGreaterThanOrEqual(2);
  });

  it('re-drives dead letters to the fixed handler with their original cursor', async () => {
    const durable = uniqueName('c');
    let fixed = false;
    const handled = new Recorder<{ cursor: string; redriven: boolean }>();
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      maxDeliver: 1,
      handler: {
        mode: 'event',
        handle: (event, ctx) => {
          if (!fixed) throw new Error('bug #12');
          handled.push({ cursor: event.cursor, redriven: ctx.redriven });
        },
      },
    });
    const published = await fx.bus.publishMany(traceEvents(3));
    await waitForDeadLetters(fx, durable, 3);
    fixed = true;
    expect(await fx.bus.deadLetters.replay(durable, { limit: 2 })).toBe(2);
    await handled.count(2);
    expect(handled.items).toEqual(
      published.slice(0, 2).map((r) => ({ cursor: r.ok ? r.value.cursor : '', redriven: true })),
    );
    expect(await fx.bus.deadLetters.list(durable)).toHaveLength(1);
    expect(await fx.bus.deadLetters.replay(durable)).toBe(1);
    await handled.count(3);
    expect(await fx.bus.deadLetters.list(durable)).toEqual([]);
    await consumer.stop();
  });

  it('stops pulling and finishes the in-flight handler before stop() resolves', async () => {
    const durable = uniqueName('c');
    let release: () => void = () => undefined;
    const started = new Recorder<string>();
    const finished: string[] = [];
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      ackWaitMs: 1_000,
      handler: {
        mode: 'event',
        handle: async (event) => {
          started.push(event.cursor);
          await new Promise<void>((resolve) => (release = resolve));
          finished.push(event.cursor);
        },
      },
    });
    const published = cursorsOf(await fx.bus.publishMany(traceEvents(5)));
    await started.count(1);
    const stopping = consumer.stop();
    release();
    await stopping;
    expect(finished).toEqual([published[0]]);
    await settled(fx, durable, (i) => i.ack_floor.stream_seq === Number(published[0]));
    // Nothing queued was handled by the stopped instance, and nothing is lost: the next
    // instance of the durable gets every other message (at least once).
    const rest = new Recorder<string>();
    const next = await fx.bus.consume({
      durable,
      family: 'trace',
      ackWaitMs: 1_000,
      handler: { mode: 'event', handle: (event) => rest.push(event.cursor) },
    });
    await rest.until((items) => new Set(items).size === 4, 'the 4 queued events');
    await next.stop();
    expect([...new Set(rest.items)].sort()).toEqual(published.slice(1).sort());
  });

  it('checks stored events structurally by default and against the whole contract with validate: full', async () => {
    const envelope = exampleEvent('trace', 'op_start', { id: uniqueName('ev') });
    const body = { ...envelope, data: { ...(envelope.data as object), seq: 'seven' } };
    const h = natsHeaders();
    h.set('Nats-Msg-Id', envelope.id);
    const stored = await fx.bus.publisher.publishRaw(
      'events.trace.req-1',
      new TextEncoder().encode(JSON.stringify(body)),
      h,
    );
    const handled = new Recorder<string>();
    const lenient = await fx.bus.consume({
      durable: uniqueName('stored'),
      family: 'trace',
      handler: { mode: 'event', handle: (e) => handled.push(e.cursor) },
    });
    const strictDurable = uniqueName('full');
    const strict = await fx.bus.consume({
      durable: strictDurable,
      family: 'trace',
      validate: 'full',
      handler: { mode: 'event', handle: (e) => handled.push(`full:${e.cursor}`) },
    });
    await handled.count(1);
    const [letter] = await waitForDeadLetters(fx, strictDurable, 1);
    await Promise.all([lenient.stop(), strict.stop()]);
    expect(handled.items).toEqual([stored.cursor]);
    expect(letter).toMatchObject({ cause: 'decode_failed', originalSeq: Number(stored.cursor) });
    expect(letter!.reason).toContain('data.seq');
  });

  it('reports messages removed by retention before the durable read them as a gap', async () => {
    const durable = uniqueName('c');
    const handled = new Recorder<string>();
    const gaps = new Recorder<Gap>();
    const spec = {
      durable,
      family: 'trace' as const,
      onGap: (gap: Gap) => gaps.push(gap),
      handler: {
        mode: 'event' as const,
        handle: (e: { cursor: string }) => handled.push(e.cursor),
      },
    };
    const first = await fx.bus.consume(spec);
    const before = cursorsOf(await fx.bus.publishMany(traceEvents(3)));
    await handled.count(3);
    await first.stop();

    const config = (await fx.bus.manager.streams.info('RUNLOG_TRACE')).config;
    await fx.bus.manager.streams.update('RUNLOG_TRACE', { ...config, max_msgs: 5 });
    try {
      const after = cursorsOf(await fx.bus.publishMany(traceEvents(10)));
      const newcomer = uniqueName('new');
      const newcomerGaps = new Recorder<Gap>();
      const newcomerHandled = new Recorder<string>();
      const again = await fx.bus.consume(spec);
      const fresh = await fx.bus.consume({
        durable: newcomer,
        family: 'trace',
        onGap: (gap) => newcomerGaps.push(gap),
        handler: { mode: 'event', handle: (e) => newcomerHandled.push(e.cursor) },
      });
      await handled.count(3 + 5);
      await newcomerHandled.count(5);
      await Promise.all([again.stop(), fresh.stop()]);
      expect(handled.items).toEqual([...before, ...after.slice(5)]);
      expect(gaps.items).toEqual([
        {
          family: 'trace',
          consumer: durable,
          from_cursor: after[0],
          to_cursor: after[4],
          missing: 5,
        },
      ]);
      // A durable created after the removal never had those messages: no gap for it.
      expect(newcomerHandled.items).toEqual(after.slice(5));
      expect(newcomerGaps.items).toEqual([]);
    } finally {
      await fx.bus.manager.streams.update('RUNLOG_TRACE', config);
    }
  });
});

function cursorsOf(results: PublishManyResult[]): string[] {
  return results.map((result) => {
    if (!result.ok) throw result.error;
    return result.value.cursor;
  });
}
