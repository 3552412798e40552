import { Logger } from '@nestjs/common';
import { uniqueName } from '@runlog/testing';
import { getJson } from '../projection-fixture';
import { killMidBatch, useKillHarness } from './kill-flow';
import { ACK_WAIT_MS } from './service-kill-fixtures';
import { traceOf, traceWorkload } from './workloads';

Logger.overrideLogger(['error']);

// ingest and trace-store each in a process of its own (the built dist/ mains), on a NATS
// server of the test's own and the embedded PGlite store; trace-store is killed with
// SIGKILL while it projects a steady flow of trace events posted to ingest, then started again.
describe('trace-store killed with SIGKILL mid-projection', () => {
  const suite = useKillHarness({ ingest: true });

  it(
    'answers every trace event ingest accepted once it is started again: none lost, none twice',
    async () => {
      const traces = 20;
      const prefix = uniqueName('req');
      await killMidBatch(
        suite,
        { service: 'trace-store', workload: traceWorkload(prefix, traces) },
        async ({ producer, second }) => {
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
        },
      );
    },
    ACK_WAIT_MS + 60_000,
  );
});
