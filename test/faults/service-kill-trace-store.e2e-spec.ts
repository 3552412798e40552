import { Logger } from '@nestjs/common';
import { DURABLES, type RunlogEvent, streamName } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { typedEvent } from '../bus/bus-fixtures';
import { getJson } from '../projection-fixture';
import { at } from '../trace-store/trace-fixtures';
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

Logger.overrideLogger(['error']);

/**
 * The `index`th event of a workload over `traces` traces: each trace's events take turns
 * opening and closing one step op, `seq` counting from 0 and the timestamps 10 ms apart.
 */
function traceWorkload(prefix: string, traces: number) {
  return (index: number): RunlogEvent<'trace'> => {
    const requestId = `${prefix}-${index % traces}`;
    const seq = Math.floor(index / traces);
    const op = `step-${Math.floor(seq / 2)}`;
    const opens = seq % 2 === 0;
    return typedEvent('trace', opens ? 'op_start' : 'op_end', uniqueName('ce'), {
      event_id: `${requestId}-e${seq}`,
      request_id: requestId,
      op_name: op,
      ctx: ['main'],
      timestamp: at(seq * 10),
      seq,
      payload: opens
        ? { inputs: {} }
        : { outputs: null, status: 'ok', duration_ms: 5, yield_count: 0 },
    });
  };
}

interface TracePage {
  events: Array<{ cursor: string; event_id: string }>;
  warnings: unknown[];
  next_after: string | null;
}

/** Every event of a trace as `[cursor, event_id]`, a page of `limit` at a time, and the first page's warnings. */
async function traceOf(
  url: string,
  requestId: string,
  limit: number,
): Promise<{ events: Array<[string, string]>; warnings: unknown[] }> {
  const events: Array<[string, string]> = [];
  let warnings: unknown[] | undefined;
  let after: string | null = null;
  do {
    const query: string = `limit=${limit}${after === null ? '' : `&after=${after}`}`;
    const page = await getJson<TracePage>(
      `${url}/v1/traces/${encodeURIComponent(requestId)}?${query}`,
    );
    if (page.status !== 200) throw new Error(`trace ${requestId}: ${page.status}`);
    warnings ??= page.body.warnings;
    events.push(...page.body.events.map((e): [string, string] => [e.cursor, e.event_id]));
    after = page.body.next_after;
  } while (after !== null);
  return { events, warnings };
}

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
