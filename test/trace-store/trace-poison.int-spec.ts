import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { type Bus, type DeadLetter } from '@runlog/bus';
import {
  DURABLES,
  encode,
  eventSubject,
  HEADERS,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { consumerBacklog } from '@runlog/platform';
import { openStore, type Store } from '@runlog/store';
import { freePort, testStoreKinds, uniqueName, waitFor } from '@runlog/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { TraceMetrics } from '../../apps/trace-store/src/projection/trace-metrics';
import { TraceProjectionConsumer } from '../../apps/trace-store/src/projection/trace-projection.consumer';
import { type TraceStoreDb } from '../../apps/trace-store/src/store/trace-store.schema';
import { getJson } from '../projection-fixture';
import { type TraceFixture, TraceBuilder, startTraceFixture } from './trace-fixtures';
import { withFixture } from '../use-fixture';

const TRACES = streamName('trace');
// A short ack wait: what a stopped projector held comes back soon.
const fast = { backoff: { initialMs: 20, maxMs: 80 }, ackWaitMs: 1_500 } as const;

/** Publishes `event` with its payload replaced, straight to its family subject (no ingest, no contract). */
async function publishHostile(
  bus: Bus,
  event: RunlogEvent<'trace'>,
  payloadJson: string,
): Promise<number> {
  const envelope = encode(event) as unknown as { data: Record<string, unknown> };
  const marker = '"__payload__"';
  const body = JSON.stringify({
    ...envelope,
    data: { ...envelope.data, payload: '__payload__' },
  }).replace(marker, payloadJson);
  const h = natsHeaders();
  h.set(HEADERS.msgId, event.id);
  const ack = await bus.publisher.publishRaw(
    eventSubject(event),
    new TextEncoder().encode(body),
    h,
  );
  return Number(ack.cursor);
}

/** A trace of `n` events, published in order, with a hostile payload at `at`: its cursors and the poison's. */
async function traceWithPoison(fx: TraceFixture, n: number, at: number, payloadJson: string) {
  const builder = new TraceBuilder(uniqueName('req'));
  for (let i = 0; i < n; i++)
    builder.add('annotation', undefined, ['main'], { key: 'k', value: `a${i}` });
  const cursors: number[] = [];
  let poison = 0;
  for (const [i, event] of builder.events.entries()) {
    if (i === at) cursors.push((poison = await publishHostile(fx.bus, event, payloadJson)));
    else cursors.push(Number((await fx.bus.publish(event)).cursor));
  }
  return { requestId: builder.requestId, good: cursors.filter((c) => c !== poison), poison };
}

async function storedCursors(store: Store<TraceStoreDb>, requestId: string): Promise<number[]> {
  const rows = await store.db
    .selectFrom('trace_store.events')
    .select('cursor')
    .where('request_id', '=', requestId)
    .orderBy('cursor')
    .execute();
  return rows.map((row) => Number(row.cursor));
}

async function drained(bus: Bus): Promise<void> {
  await waitFor(
    'the trace-store durable to have nothing pending or in flight',
    async () => {
      const backlog = await consumerBacklog(bus, TRACES, DURABLES.traceStore);
      return backlog.pending + backlog.inFlight === 0 ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 25 },
  );
}

function letters(bus: Bus): Promise<DeadLetter[]> {
  return bus.deadLetters.list(DURABLES.traceStore);
}

/** Waits for a dead letter and for the durable to drain, then lists what it parked. */
async function parkedOnce(bus: Bus): Promise<DeadLetter[]> {
  await waitFor(
    'one dead letter',
    async () => ((await letters(bus)).length > 0 ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  await drained(bus);
  return letters(bus);
}

describe.each(testStoreKinds())(
  'trace-store: one event cannot take its batch down, on %s',
  (kind) => {
    let fx: TraceFixture;
    withFixture(
      () => startTraceFixture(kind),
      (started) => (fx = started),
    );

    it('a NUL inside a payload, published straight to events.trace.*, is parked alone; the other events of its batch are projected', async () => {
      await fx.projector({ batchSize: 100, ...fast });
      const trace = await traceWithPoison(
        fx,
        30,
        17,
        JSON.stringify({ key: 'k', value: 'nul\u0000here' }),
      );
      const parked = await parkedOnce(fx.bus);
      expect(parked).toHaveLength(1);
      // poison: the store refused it; decode_failed once the contract refuses NUL at every door.
      expect(['poison', 'decode_failed']).toContain(parked[0]!.cause);
      expect(parked[0]).toMatchObject({ originalSeq: trace.poison, deliveries: 1 });
      expect(await storedCursors(await fx.store(), trace.requestId)).toEqual(trace.good);
    });

    it('an event that breaks the schema (annotation key a number, a __proto__ key), published straight to events.trace.*, is parked as decode_failed; its neighbours are projected', async () => {
      await fx.projector({ batchSize: 100, ...fast });
      const trace = await traceWithPoison(fx, 12, 5, '{"key":5,"value":"v","__proto__":{"x":1}}');
      const parked = await parkedOnce(fx.bus);
      expect(parked.map((l) => [l.cause, l.originalSeq])).toEqual([
        ['decode_failed', trace.poison],
      ]);
      expect(parked[0]!.reason).toContain('"path":"data.payload.__proto__"');
      expect(await storedCursors(await fx.store(), trace.requestId)).toEqual(trace.good);
    });

    it('a store that is down during a batch parks nothing, however many deliveries it takes; all is projected once it is back', async () => {
      const proxyPort = await freePort();
      let proxy: Server | undefined;
      let down: Store<TraceStoreDb>;
      if (kind === 'postgres') {
        // The same (migrated) database behind a port where nothing listens yet: connection refused.
        await fx.store();
        const real = new URL(fx.config.databaseUrl!);
        const url = new URL(real);
        url.hostname = '127.0.0.1';
        url.port = String(proxyPort);
        down = await openStore<TraceStoreDb>({
          kind: 'postgres',
          url: url.toString(),
          poolSize: 2,
        });
        fx.onClose(async () => {
          await down.close();
          await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
        });
        proxy = createServer((client) => {
          const upstream = tcpConnect(Number(real.port || 5432), real.hostname);
          client.pipe(upstream).pipe(client);
          client.on('error', () => upstream.destroy());
          upstream.on('error', () => client.destroy());
        });
      } else {
        // PGlite: an embedded store that has been closed.
        down = await openStore<TraceStoreDb>({
          kind: 'pglite',
          dataDir: mkdtempSync(join(tmpdir(), 'down-')),
        });
        await down.close();
      }
      const projector = new TraceProjectionConsumer(
        await fx.connect(),
        down,
        new TraceMetrics(new Registry(), () => Promise.resolve({ pending: 0, inFlight: 0 })),
        { batchSize: 100, ...fast },
      );
      await projector.onApplicationBootstrap();
      const builder = new TraceBuilder(uniqueName('req'));
      for (let i = 0; i < 20; i++)
        builder.add('annotation', undefined, ['main'], { key: 'k', value: `a${i}` });
      const published = await fx.publish(builder.events);
      // Past max_deliver (5) for every event: the server counts each delivery.
      await waitFor(
        'every event delivered more than max_deliver times',
        async () => {
          const info = await fx.bus.manager.consumers.info(TRACES, DURABLES.traceStore);
          return info.delivered.consumer_seq >= published.length * 7 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 25 },
      );
      expect(await letters(fx.bus)).toEqual([]);
      if (proxy) {
        const listening = proxy;
        await new Promise<void>((resolve) => listening.listen(proxyPort, '127.0.0.1', resolve));
      } else {
        await projector.onModuleDestroy();
        await fx.projector({ batchSize: 100, ...fast }); // the store is back
      }
      await drained(fx.bus);
      if (proxy) await projector.onModuleDestroy();
      expect(await letters(fx.bus)).toEqual([]);
      expect(await storedCursors(await fx.store(), builder.requestId)).toEqual(
        published.map((event) => Number(event.cursor)),
      );
    });
  },
);

describe('trace-store: an embedded store that traps', () => {
  let fx: TraceFixture;
  withFixture(
    () => startTraceFixture('pglite'),
    (started) => (fx = started),
  );

  it('is reopened; only the event that trapped it is parked, and the service keeps answering', async () => {
    const { url } = await fx.service();
    let deep = 'null';
    for (let i = 0; i < 3_000; i++) deep = `{"a":${deep}}`;
    const trace = await traceWithPoison(fx, 12, 5, `{"key":"k","value":${deep}}`);
    const parked = await parkedOnce(fx.bus);
    expect(parked.map((letter) => letter.originalSeq)).toEqual([trace.poison]);
    // poison: the store trapped on it and was reopened; decode_failed once the contract refuses depth.
    expect(['poison', 'decode_failed']).toContain(parked[0]!.cause);
    const ready = await getJson<Record<string, unknown>>(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const tree = await getJson<{ events?: unknown[] }>(
      `${url}/v1/traces/${encodeURIComponent(trace.requestId)}/tree`,
    );
    expect(tree.status).toBe(200);
    const search = await getJson<{ traces: Array<{ request_id: string; event_count?: number }> }>(
      `${url}/v1/traces?limit=100`,
    );
    expect(search.status).toBe(200);
    expect(search.body.traces.map((t) => t.request_id)).toContain(trace.requestId);
  });
});
