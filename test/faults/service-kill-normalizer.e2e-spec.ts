import { Logger } from '@nestjs/common';
import { type DeliveredEvent, DURABLES, streamName } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { RunStateStore } from '../../apps/normalizer/src/run-state/run-state-store';
import { described } from '../normalizer/normalizer-fixtures';
import { readStream, repeated, within } from './fault-fixtures';
import {
  ACK_WAIT_MS,
  caughtUp,
  HttpProducer,
  type KillHarness,
  midBatch,
  reportKill,
  startKillHarness,
  WAIT_MS,
} from './service-kill-fixtures';
import { type ServiceProcess } from './service-process';
import { agentWorkload, expectedRun } from './workloads';

Logger.overrideLogger(['error']);

const MODE = 'full_fidelity';

/** One sample of a Prometheus text answer (0 when absent). */
async function metric(url: string, sample: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

// ingest and the normalizer each in a process of its own (the built dist/ mains), on a NATS
// server of the test's own; the normalizer is killed with SIGKILL while raw agent events
// posted to ingest flow through it, then started again.
describe('normalizer killed with SIGKILL mid-batch', () => {
  let h: KillHarness;
  let ingest: ServiceProcess;

  beforeAll(async () => {
    h = await startKillHarness();
    ingest = await h.start('ingest', await h.environment('INGEST_PORT'));
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  }, 30_000);

  it(
    'writes each canonical fact of every accepted raw event once, from run state that survived',
    async () => {
      const stream = streamName('agent');
      const env = await h.environment('NORMALIZER_PORT', { NORMALIZER_DURABILITY: MODE });
      const first = await h.start('normalizer', env);
      const runs = 20;
      const thread = uniqueName('thread');
      const producer = new HttpProducer(ingest.url, agentWorkload(thread, runs)).start();
      try {
        // Mid-batch: some raw events normalized and acked, some in its hands.
        await midBatch(h.admin, stream, DURABLES.normalizer, 300);
        const killedAt = Date.now();
        await first.kill();
        const atKill = await h.admin.manager.consumers.info(stream, DURABLES.normalizer);
        await waitFor(
          '200 events accepted while the normalizer is down',
          () => producer.acceptedSince(killedAt) >= 200 || undefined,
          { timeoutMs: WAIT_MS },
        );
        const startedAt = Date.now();
        const second = await h.start('normalizer', env);
        const restartedAt = Date.now();
        await waitFor(
          '200 events accepted after the restart',
          () => producer.acceptedSince(restartedAt) >= 200 || undefined,
          { timeoutMs: WAIT_MS },
        );
        await within(30_000, 'the producer to stop', producer.stop());
        expect(producer.refused).toEqual([]);
        expect(producer.accepted.filter((a) => a.duplicate)).toEqual([]);

        // What the killed process held unacked comes back after the ack wait; the
        // work-queue stream is empty once every raw event is acked.
        await caughtUp(h.admin, stream, DURABLES.normalizer, ACK_WAIT_MS + 3 * WAIT_MS);
        const caughtUpAt = Date.now();

        // RUNLOG_CANONICAL holds each fact once (msgID `<stream>:<seq>:<index>` dedupes
        // the republish of a redelivered raw event), per run in the order and with the
        // decisions of the pure mapping over the run's raw events in cursor order.
        const canonical = await readStream(h.admin, 'canonical');
        expect(repeated(canonical.map((event) => event.id))).toEqual([]);
        const delivered: DeliveredEvent<'agent'>[] = producer.accepted
          .map((a) => ({ ...a.event, cursor: a.cursor }))
          .sort((a, b) => Number(a.cursor) - Number(b.cursor));
        const runOf = new Map(delivered.map((event) => [event.cursor, event.data.run_id]));
        const store = await RunStateStore.open(h.admin.connection);
        let facts = 0;
        for (let i = 0; i < runs; i++) {
          const run = `r-${i}`;
          const expected = expectedRun(
            delivered.filter((event) => event.data.run_id === run),
            MODE,
          );
          const written = canonical.filter((e) => runOf.get(e.data.source_cursor) === run);
          expect(described(written)).toEqual(expected.facts);
          expect((await store.read(thread, run)).state).toEqual(expected.state);
          facts += expected.facts.length;
        }
        expect(canonical).toHaveLength(facts);
        expect(await h.admin.deadLetters.list(DURABLES.normalizer)).toEqual([]);
        const overtook = await metric(
          second.url,
          'runlog_normalizer_order_waits_total{outcome="overtook"}',
        );
        expect(overtook).toBe(0);
        const handedBack = await metric(
          second.url,
          'runlog_normalizer_order_waits_total{outcome="handed_back"}',
        );
        expect(await second.stop()).toBe(0);

        reportKill('normalizer', {
          accepted: producer.accepted.length,
          unacked: atKill.num_ack_pending,
          killedAt,
          startedAt,
          restartedAt,
          caughtUpAt,
          more: [`${facts} canonical facts`, `${handedBack} raw events handed back for order`],
        });
      } finally {
        await within(30_000, 'the producer to stop', producer.stop());
      }
    },
    ACK_WAIT_MS + 150_000,
  );
});
