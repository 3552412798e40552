import { Logger } from '@nestjs/common';
import { DURABLES, streamName } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { getJson } from '../projection-fixture';
import { within } from './fault-fixtures';
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
import { traceOf, traceWorkload } from './workloads';

Logger.overrideLogger(['error']);

// ingest and trace-store each in a process of its own (the built dist/ mains), on a NATS
// server of the test's own and the embedded PGlite store; trace-store is killed with
// SIGKILL while it projects a steady flow of trace events posted to ingest, then started again.
describe('trace-store killed with SIGKILL mid-projection', () => {
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
    'answers every trace event ingest accepted once it is started again: none lost, none twice',
    async () => {
      const stream = streamName('trace');
      const env = await h.environment('TRACE_STORE_PORT');
      const first = await h.start('trace-store', env);
      const traces = 20;
      const prefix = uniqueName('req');
      const producer = new HttpProducer(ingest.url, traceWorkload(prefix, traces)).start();
      try {
        // Mid-projection: some batches committed, one delivered to it and not yet acked.
        await midBatch(h.admin, stream, DURABLES.traceStore, 300);
        const killedAt = Date.now();
        await first.kill();
        const atKill = await h.admin.manager.consumers.info(stream, DURABLES.traceStore);
        await waitFor(
          '200 events accepted while trace-store is down',
          () => producer.acceptedSince(killedAt) >= 200 || undefined,
          { timeoutMs: WAIT_MS },
        );
        const startedAt = Date.now();
        const second = await h.start('trace-store', env);
        const restartedAt = Date.now();
        await waitFor(
          '200 events accepted after the restart',
          () => producer.acceptedSince(restartedAt) >= 200 || undefined,
          { timeoutMs: WAIT_MS },
        );
        await within(30_000, 'the producer to stop', producer.stop());
        expect(producer.refused).toEqual([]);
        expect(producer.accepted.filter((a) => a.duplicate)).toEqual([]);

        // What the killed process held unacked comes back after the ack wait.
        const { state } = await h.admin.manager.streams.info(stream);
        expect(state.messages).toBe(producer.accepted.length);
        await caughtUp(h.admin, stream, DURABLES.traceStore);
        const caughtUpAt = Date.now();

        // Each trace answers its accepted events, ordered by (timestamp, seq), each once,
        // through pages smaller than the trace; no warning (a lost event is a seq_gap).
        for (let i = 0; i < traces; i++) {
          const id = `${prefix}-${i}`;
          const own = producer.accepted
            .filter((a) => a.event.data.request_id === id)
            .sort((a, b) => a.event.data.seq - b.event.data.seq)
            .map((a): [string, string] => [a.cursor, a.event.data.event_id]);
          const read = await traceOf(second.url, id, 97);
          expect(read.events).toEqual(own);
          expect(read.warnings).toEqual([]);
        }
        const gaps = await getJson<{ gaps: unknown[] }>(`${second.url}/v1/trace-store/gaps`);
        expect(gaps.body.gaps).toEqual([]);
        expect(await h.admin.deadLetters.list(DURABLES.traceStore)).toEqual([]);
        expect(await second.stop()).toBe(0);

        reportKill('trace-store', {
          accepted: producer.accepted.length,
          unacked: atKill.num_ack_pending,
          killedAt,
          startedAt,
          restartedAt,
          caughtUpAt,
        });
      } finally {
        await within(30_000, 'the producer to stop', producer.stop());
      }
    },
    ACK_WAIT_MS + 60_000,
  );
});
