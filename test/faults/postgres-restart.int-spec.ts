import { Logger } from '@nestjs/common';
import { Bus, PromBusMetrics } from '@runlog/bus';
import { DEADLETTER_STREAM, DURABLES, streamName } from '@runlog/contracts';
import {
  findPostgresBin,
  type NatsServerHandle,
  type PostgresServerHandle,
  startNats,
  startPostgresServer,
  uniqueName,
  waitFor,
} from '@runlog/testing';
import { Registry } from 'prom-client';
import { expectedView } from '../lease-history/lease-fixtures';
import { sample } from '../normalizer/normalizer-fixtures';
import { ContinuousProducer, readStream, within } from './fault-fixtures';
import { leaseWorkload, startLeaseProjector } from './lease-projector';

// The projection retries (and logs) every failed batch while the database is down: expected.
Logger.overrideLogger(['error']);

/** Deliveries after which a retried message is parked (the consumer's default max_deliver). */
const MAX_DELIVER = 5;
/** Unacked messages the durable may have out at once: while the store is down, all are retried. */
const MAX_ACK_PENDING = 20;
const WAIT_MS = 30_000;

const bin = findPostgresBin();
if (!bin) {
  process.stderr.write(
    '[faults] PostgreSQL restart tests skipped: no initdb/pg_ctl under /usr/lib/postgresql/*/bin (set PG_BIN)\n',
  );
}

// A PostgreSQL of the test's own (initdb, pg_ctl on a free port) stopped with
// `pg_ctl stop -m immediate` (a crash: no checkpoint, connections cut) under lease-history's
// projection while events flow, and started again.
(bin ? describe : describe.skip)(
  'the lease projection on a PostgreSQL that crashes and restarts',
  () => {
    let nats: NatsServerHandle;
    let pg: PostgresServerHandle;
    let bus: Bus;
    const registry = new Registry();
    beforeAll(async () => {
      nats = await startNats({ dedicated: true });
      pg = await startPostgresServer();
      bus = await Bus.connect({
        servers: [nats.url],
        name: uniqueName('faults-pg'),
        streams: { replicas: 1, maxAgeMs: {} },
        metrics: new PromBusMetrics(registry),
      });
    }, 60_000);
    afterAll(async () => {
      await bus?.close();
      await pg?.destroy();
      await nats?.stop();
    }, 30_000);

    it('retries every batch while the database is down, parks nothing, and stores each event exactly once', async () => {
      const projector = await startLeaseProjector(
        bus,
        { kind: 'postgres', url: pg.url },
        {
          batchSize: MAX_ACK_PENDING,
          maxAckPending: MAX_ACK_PENDING,
          backoff: { initialMs: 50, maxMs: 200 },
        },
      );
      const executions = 20;
      const prefix = uniqueName('exec');
      const producer = new ContinuousProducer(bus, leaseWorkload(prefix, executions));
      const retried = () => sample(registry, 'runlog_bus_retried_total');
      try {
        producer.start();
        await waitFor(
          '200 events projected',
          async () => ((await projector.rows()).length >= 200 ? true : undefined),
          { timeoutMs: WAIT_MS, intervalMs: 50 },
        );
        const before = await retried();
        const stoppedAt = Date.now();
        await pg.stop('immediate'); // mid-projection: a batch is always in flight
        // Down long enough that, were an outage counted as failed deliveries, messages would
        // have passed max_deliver: at most MAX_ACK_PENDING are out, and each retry round
        // retries them all, so this many retries mean some were delivered over twice
        // MAX_DELIVER times (a few seconds, with the backoff capped at 200 ms).
        const enough = 2 * MAX_ACK_PENDING * (MAX_DELIVER + 1);
        await waitFor(
          `${enough} retries while the database is down`,
          async () => ((await retried()) - before >= enough ? true : undefined),
          { timeoutMs: WAIT_MS, intervalMs: 50 },
        );
        const retriedWhileDown = (await retried()) - before;
        await pg.start();
        const restartedAt = Date.now();
        await waitFor(
          '200 acked publishes made after the restart',
          () => producer.ackedSince(restartedAt) >= 200 || undefined,
          { timeoutMs: WAIT_MS },
        );
        await within(30_000, 'the producer to stop', producer.stop());
        expect(producer.failed()).toEqual([]); // NATS was up throughout

        const stream = await readStream(bus, 'lease_history');
        expect(stream.length).toBe(producer.attempts.length);
        await projector.caughtUp(stream.length, WAIT_MS);
        const caughtUpAt = Date.now();

        // Exactly the events published, each once, at the cursor its PubAck named.
        const rows = await projector.rows();
        expect(rows).toEqual(
          producer
            .acked()
            .map((a) => ({ seq: Number(a.result.value.cursor), id: a.event.id }))
            .sort((a, b) => a.seq - b.seq),
        );
        expect(rows).toEqual(stream.map((event) => ({ seq: Number(event.cursor), id: event.id })));
        for (let i = 0; i < executions; i++) {
          const id = `${prefix}-${i}`;
          expect(await projector.lease(id)).toEqual(expectedView(id, stream));
        }
        // An outage is retried, never parked: the dead-letter stream holds nothing.
        expect(await bus.deadLetters.list(DURABLES.leaseHistory)).toEqual([]);
        const deadLetters = await bus.manager.streams.info(DEADLETTER_STREAM);
        expect(deadLetters.state.messages).toBe(0);
        expect(await sample(registry, 'runlog_bus_dead_lettered_total')).toBe(0);
        expect(await projector.gaps()).toEqual([]);
        const { num_ack_pending, num_pending } = await bus.manager.consumers.info(
          streamName('lease_history'),
          DURABLES.leaseHistory,
        );
        expect(num_ack_pending + num_pending).toBe(0);

        process.stderr.write(
          `[faults] PostgreSQL crash: ${rows.length} events, down ${restartedAt - stoppedAt} ms ` +
            `(${retriedWhileDown} retries), caught up ${caughtUpAt - restartedAt} ms after the restart\n`,
        );
      } finally {
        await within(30_000, 'the producer to stop', producer.stop());
        await projector.stop();
      }
    }, 60_000);
  },
);
