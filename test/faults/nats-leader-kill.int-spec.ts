import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { isBusError } from '@runlog/bus';
import { DURABLES, streamName } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { typedEvent } from '../bus/bus-fixtures';
import { CLUSTER_WAIT_MS, type ClusterFixture, startClusterFixture } from './cluster-fixtures';
import { ContinuousProducer, readStream, repeated, within } from './fault-fixtures';
import { expectedView } from '../lease-history/lease-fixtures';
import { leaseWorkload, startLeaseProjector } from './lease-projector';

// The bus logs every disconnect and retry as a warning: expected here.
Logger.overrideLogger(['error']);

/** Each test: a kill, an election, a reconnect and a catch-up on a busy machine. */
const TEST_MS = 60_000;

// Three nats-server processes (2.9) in one JetStream cluster, runlog's streams at three
// replicas, and the stream leader killed with SIGKILL while events are being published.
describe('a three-node NATS cluster whose stream leader is killed with SIGKILL', () => {
  let fx: ClusterFixture;
  beforeAll(async () => {
    fx = await startClusterFixture(['trace', 'lease_history', 'completion']);
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  }, 30_000);

  it(
    'keeps every publish answered with a PubAck, once, and reports every other publish as an error',
    async () => {
      const leader = await fx.leader('trace');
      // The producer's connection is on the leader: the kill takes its socket too.
      const publisher = await fx.connect(fx.cluster.node(leader).url);
      const request = uniqueName('req');
      const producer = new ContinuousProducer(publisher, (seq) =>
        typedEvent('trace', 'op_start', `${request}-${seq}`, { request_id: request, seq }),
      ).start();
      let killedAt = 0;
      try {
        await waitFor('500 acked publishes', () => producer.acked().length >= 500 || undefined, {
          timeoutMs: CLUSTER_WAIT_MS,
        });
        killedAt = Date.now();
        await fx.cluster.kill(leader); // mid-publish: eight publishes are always in flight
        const successor = await fx.leader('trace', leader);
        expect(successor).not.toBe(leader);
        await waitFor(
          '300 acked publishes made after the kill',
          () => producer.ackedSince(killedAt) >= 300 || undefined,
          { timeoutMs: CLUSTER_WAIT_MS },
        );
      } finally {
        await within(30_000, 'the producer to stop', producer.stop());
      }
      await fx.cluster.start(leader);
      await fx.replicasCurrent('trace');

      // Every publish answered: with a PubAck, or with a BusError naming what went wrong.
      const { attempts } = producer;
      expect(attempts.filter((a) => a.result === undefined)).toEqual([]);
      for (const failure of producer.failed()) {
        expect(failure.result?.ok).toBe(false);
        if (failure.result?.ok === false) expect(isBusError(failure.result.error)).toBe(true);
      }
      const acked = producer.acked();
      expect(acked.length).toBeGreaterThanOrEqual(800);

      // Every acked event is in the stream at the cursor its PubAck named, and only once.
      const stored = await readStream(fx.admin, 'trace');
      const ids = stored.map((event) => event.id);
      expect(repeated(ids)).toEqual([]);
      const atCursor = new Map(stored.map((event) => [event.cursor, event.id]));
      const lost = acked.filter((a) => atCursor.get(a.result.value.cursor) !== a.event.id);
      expect(lost.map((a) => a.event.id)).toEqual([]);
      expect(acked.every((a) => a.result.value.stream === streamName('trace'))).toBe(true);
      // Nothing else is there: every stored event is one the producer published.
      const made = new Set(attempts.map((a) => a.event.id));
      expect(ids.filter((id) => !made.has(id))).toEqual([]);

      // A producer retries what failed: ids dedupe, so each event is then stored once.
      const failed = producer.failed().map((a) => a.event);
      const codes = new Set(
        producer.failed().map((a) => (a.result?.ok === false ? a.result.error.code : '')),
      );
      const retried = await publisher.publishMany(failed);
      expect(retried.filter((r) => !r.ok)).toEqual([]);
      const after = await readStream(fx.admin, 'trace');
      expect(repeated(after.map((event) => event.id))).toEqual([]);
      expect(new Set(after.map((event) => event.id))).toEqual(made);

      process.stderr.write(
        `[faults] leader kill: ${attempts.length} publishes, ${acked.length} acked ` +
          `(${acked.filter((a) => a.result.value.duplicate).length} as duplicates), ` +
          `${failed.length} failed (${[...codes].join(', ')}); ` +
          `first ack of a publish made after the kill ${producer.recoveryAfter(killedAt)} ms\n`,
      );
    },
    TEST_MS,
  );

  it(
    'a durable consumer across the kill sees every acked event, and the lease projection applies each exactly once',
    async () => {
      const leader = await fx.leader('lease_history');
      // Both connections are on the leader: the kill drops them, as it drops its replica.
      const consuming = await fx.connect(fx.cluster.node(leader).url);
      const publisher = await fx.connect(fx.cluster.node(leader).url);
      const dataDir = mkdtempSync(join(tmpdir(), 'runlog-faults-'));
      const target = { kind: 'pglite', dataDir } as const;
      // A short ack wait: what the killed leader had delivered comes back within the test.
      const options = { ackWaitMs: 3_000, batchSize: 50, backoff: { initialMs: 50, maxMs: 500 } };
      // The durable's leader is put on the stream leader, so the kill takes both: the
      // consumer has to find its new leader as well as the stream's.
      await (await startLeaseProjector(consuming, target, options)).stop();
      await fx.moveConsumerLeader(streamName('lease_history'), DURABLES.leaseHistory, leader);
      const projector = await startLeaseProjector(consuming, target, options);
      const executions = 20;
      const prefix = uniqueName('exec');
      const producer = new ContinuousProducer(publisher, leaseWorkload(prefix, executions));
      let killedAt = 0;
      try {
        producer.start();
        await waitFor(
          '300 events projected',
          async () => ((await projector.rows()).length >= 300 ? true : undefined),
          { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 50 },
        );
        killedAt = Date.now();
        await fx.cluster.kill(leader); // mid-publish and mid-projection
        await fx.leader('lease_history', leader);
        await waitFor(
          '300 acked publishes made after the kill',
          () => producer.ackedSince(killedAt) >= 300 || undefined,
          { timeoutMs: CLUSTER_WAIT_MS },
        );
        await within(30_000, 'the producer to stop', producer.stop());
        await fx.cluster.start(leader);
        await fx.replicasCurrent('lease_history');
        const { state } = await fx.admin.manager.streams.info(streamName('lease_history'));
        await projector.caughtUp(state.messages, CLUSTER_WAIT_MS);
        const caughtUpAt = Date.now();

        const stream = await readStream(fx.admin, 'lease_history');
        expect(repeated(stream.map((event) => event.id))).toEqual([]);
        const rows = await projector.rows();
        // Exactly the stream, each event once, at its cursor ...
        expect(rows).toEqual(stream.map((event) => ({ seq: Number(event.cursor), id: event.id })));
        // ... which holds every acked event at the cursor its PubAck named.
        const stored = new Map(rows.map((row) => [row.seq, row.id]));
        const acked = producer.acked();
        expect(
          acked.filter((a) => stored.get(Number(a.result.value.cursor)) !== a.event.id),
        ).toEqual([]);
        // At least once: every event was applied, some more than once (redelivered across the kill).
        expect(projector.applied()).toBeGreaterThanOrEqual(rows.length);
        // ... and exactly once in what the projection answers.
        for (let i = 0; i < executions; i++) {
          const id = `${prefix}-${i}`;
          expect(await projector.lease(id)).toEqual(expectedView(id, stream));
        }
        expect(await projector.gaps()).toEqual([]);
        expect(await consuming.deadLetters.list(DURABLES.leaseHistory)).toEqual([]);

        process.stderr.write(
          `[faults] leader kill under a consumer: ` +
            `${acked.length} acked of ${producer.attempts.length}, ${rows.length} projected, ` +
            `${projector.applied() - rows.length} applied again; ` +
            `publishing again after ${producer.recoveryAfter(killedAt)} ms, ` +
            `caught up ${caughtUpAt - killedAt} ms after the kill\n`,
        );
      } finally {
        await within(30_000, 'the producer to stop', producer.stop());
        await projector.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    TEST_MS,
  );
});
