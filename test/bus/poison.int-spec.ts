import { headers as natsHeaders } from '@nats-io/transport-node';
import { DEAD_LETTER_HEADERS, type DeadLetter } from '@runlog/bus';
import { classifyStoreError, openStore, type Store } from '@runlog/store';
import { createTestDatabase, type TestDatabase, testStoreKinds, uniqueName } from '@runlog/testing';
import { sql } from 'kysely';
import { type BusFixture, Recorder, startBus, traceEvents } from './bus-fixtures';
import { settled, waitForDeadLetters } from './bus-waits';

const fast = { backoff: { initialMs: 20, maxMs: 100 } } as const;

describe('poison isolation in the consumer runtime', () => {
  let fx: BusFixture;
  beforeAll(async () => {
    fx = await startBus();
  });
  afterAll(() => fx?.close(), 30_000);
  beforeEach(async () => {
    await fx.bus.manager.streams.purge('RUNLOG_TRACE');
    await fx.bus.manager.streams.purge('RUNLOG_DEADLETTER');
  });

  describe.each(testStoreKinds())('against %s', (kind) => {
    let database: TestDatabase;
    let store: Store<unknown>;
    beforeAll(async () => {
      database = await createTestDatabase(kind);
      store = await openStore(
        database.kind === 'postgres'
          ? { kind: 'postgres', url: database.url }
          : { kind: 'pglite', dataDir: database.dataDir },
      );
    });
    afterAll(async () => {
      await store?.close();
      await database?.drop();
    });

    it('parks only the event the store refuses; the rest of its batch is committed and acked in stream order', async () => {
      const table = uniqueName('rows');
      // A smallint column: the store itself refuses seq 40000 (SQLSTATE 22003), whatever the contract says.
      await sql`create table ${sql.id(table)} (seq smallint not null, cursor bigint primary key)`.execute(
        store.db,
      );
      const durable = uniqueName('c');
      const events = traceEvents(40);
      const poisonAt = 23;
      const [fresh] = traceEvents(1, 'req-1');
      events[poisonAt] = { ...fresh!, data: { ...fresh!.data, seq: 40_000 } } as typeof fresh & {};
      const cursors: number[] = [];
      for (const event of events) cursors.push(Number((await fx.bus.publish(event)).cursor));
      // The size of each batch the handler saw that held the poison event (its first one
      // is a delivered batch; the later ones are the halves isolate() tries).
      const poisonBatches = new Recorder<number>();
      const consumer = await fx.bus.consume({
        durable,
        family: 'trace',
        maxDeliver: 5,
        ...fast,
        classifyError: classifyStoreError,
        handler: {
          mode: 'batch',
          size: 100,
          handle: async (batch) => {
            if (batch.some((event) => event.data.seq === 40_000)) poisonBatches.push(batch.length);
            await store.db.transaction().execute(async (trx) => {
              for (const event of batch) {
                await sql`insert into ${sql.id(table)} (seq, cursor) values (${event.data.seq}, ${Number(event.cursor)})`.execute(
                  trx,
                );
              }
            });
          },
        },
      });
      const [letter] = await waitForDeadLetters(fx, durable, 1);
      await drained(fx, durable);
      await consumer.stop();
      // The poison event came in a batch of many (the first socket read may hold only the
      // first event or two, so it is the batch that held it that is asserted, not the first).
      expect(poisonBatches.items[0]).toBeGreaterThan(1);
      expect(letter).toMatchObject({
        cause: 'poison',
        deliveries: 1,
        originalSeq: cursors[poisonAt],
      });
      expect(letter!.reason).toMatch(/out of range/);
      const { rows } = await sql<{
        cursor: string | number;
      }>`select cursor from ${sql.id(table)} order by cursor`.execute(store.db);
      const expected = cursors.filter((_, i) => i !== poisonAt);
      expect(rows.map((row) => Number(row.cursor))).toEqual(expected);
      expect((await fx.bus.deadLetters.list(durable)).length).toBe(1);
    });
  });

  it('retries a batch while the store is down, however many deliveries it takes, and parks nothing', async () => {
    const durable = uniqueName('c');
    const events = traceEvents(30);
    for (const event of events) await fx.bus.publish(event);
    const failures = new Recorder<number>();
    const handled = new Recorder<string>();
    let down = true;
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      maxDeliver: 2,
      ...fast,
      classifyError: classifyStoreError,
      handler: {
        mode: 'batch',
        size: 100,
        handle: (batch, ctx) => {
          if (down) {
            failures.push(ctx.items[0]!.deliveryCount);
            // What pg answers when nothing listens on the database's port.
            throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
              code: 'ECONNREFUSED',
            });
          }
          for (const event of batch) handled.push(event.id);
        },
      },
    });
    await failures.until((items) => items.some((d) => d >= 4), 'four deliveries while down');
    down = false;
    await handled.count(events.length);
    await drained(fx, durable);
    await consumer.stop();
    // Each once (naks come back in any order across batches, which a projection tolerates).
    expect([...handled.items].sort()).toEqual(events.map((e) => e.id).sort());
    expect(await fx.bus.deadLetters.list(durable)).toEqual([]);
  });

  it('parks a message too large to dead-letter whole, truncated with a marker, and acks it', async () => {
    const durable = uniqueName('c');
    const maxPayload = fx.bus.connection.info!.max_payload;
    // Not JSON, so it is dead-lettered on its first delivery; with the dead-letter headers it cannot fit.
    const body = new Uint8Array(maxPayload - 200).fill(0x78);
    const h = natsHeaders();
    h.set('Nats-Msg-Id', uniqueName('big'));
    const published = await fx.bus.publisher.publishRaw('events.trace.big', body, h);
    const handled = new Recorder<string>();
    const consumer = await fx.bus.consume({
      durable,
      family: 'trace',
      ...fast,
      handler: { mode: 'event', handle: (event) => handled.push(event.id) },
    });
    const [letter] = await waitForDeadLetters(fx, durable, 1);
    await drained(fx, durable);
    await consumer.stop();
    expect(handled.items).toEqual([]);
    expect(letter).toMatchObject<Partial<DeadLetter>>({
      cause: 'decode_failed',
      truncated: true,
      originalSize: body.length,
      originalStream: 'RUNLOG_TRACE',
      originalSeq: Number(published.cursor),
    });
    expect(letter!.headers[DEAD_LETTER_HEADERS.truncated]).toBe('true');
    expect(letter!.body.length).toBeLessThan(body.length);
    expect(letter!.body.length).toBeGreaterThan(0);
    expect((await fx.bus.deadLetters.original(letter!))?.length).toBe(body.length);
  });
});

/** Resolves once `durable` has nothing pending or unacked (within 10 s). */
function drained(fx: BusFixture, durable: string) {
  return settled(
    fx,
    durable,
    (info) => info.num_ack_pending === 0 && info.num_pending === 0,
    10_000,
  );
}
