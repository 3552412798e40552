import { Logger } from '@nestjs/common';
import { uniqueName } from '@runlog/testing';
import { RunStateStore } from '../../apps/normalizer/src/run-state/run-state-store';
import { described } from '../normalizer/normalizer-fixtures';
import { readStream, repeated } from './fault-fixtures';
import { killMidBatch, useKillHarness } from './kill-flow';
import { ACK_WAIT_MS } from './service-kill-fixtures';
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
  const suite = useKillHarness({ ingest: true });

  it(
    'writes each canonical fact of every accepted raw event once, from run state that survived',
    async () => {
      const runs = 20;
      const thread = uniqueName('thread');
      await killMidBatch(
        suite,
        {
          service: 'normalizer',
          workload: agentWorkload(thread, runs),
          extraEnv: { NORMALIZER_DURABILITY: MODE },
        },
        async ({ second, delivered }) => {
          // RUNLOG_CANONICAL holds each fact once (msgID `<stream>:<seq>:<index>` dedupes
          // the republish of a redelivered raw event), per run in the order and with the
          // decisions of the pure mapping over the run's raw events in cursor order.
          const { h } = suite;
          const canonical = await readStream(h.admin, 'canonical');
          expect(repeated(canonical.map((event) => event.id))).toEqual([]);
          const runOf = new Map(delivered.map((event) => [event.cursor, event.data.run_id]));
          const store = await RunStateStore.open(h.admin);
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
          const overtook = await metric(
            second.url,
            'runlog_normalizer_order_waits_total{outcome="overtook"}',
          );
          expect(overtook).toBe(0);
          const handedBack = await metric(
            second.url,
            'runlog_normalizer_order_waits_total{outcome="handed_back"}',
          );
          return [`${facts} canonical facts`, `${handedBack} raw events handed back for order`];
        },
      );
    },
    ACK_WAIT_MS + 150_000,
  );
});
