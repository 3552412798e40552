import { Logger } from '@nestjs/common';
import { uniqueName } from '@runlog/testing';
import { expectedView, getJson } from '../lease-history/lease-fixtures';
import { killMidBatch, useKillHarness } from './kill-flow';
import { leaseWorkload } from './lease-projector';
import { ACK_WAIT_MS } from './service-kill-fixtures';

Logger.overrideLogger(['error']);

/** Every event of an execution's history, through the query API's pages. */
async function historyOf(url: string, executionId: string): Promise<Array<[string, string]>> {
  const events: Array<[string, string]> = [];
  let after = '0';
  for (;;) {
    const page = await getJson<{
      events: Array<{ cursor: string; id: string }>;
      next_after: string | null;
    }>(
      `${url}/v1/executions/${encodeURIComponent(executionId)}/lease-history?limit=1000&after=${after}`,
    );
    if (page.status !== 200) throw new Error(`history of ${executionId}: ${page.status}`);
    events.push(...page.body.events.map((e): [string, string] => [e.cursor, e.id]));
    if (page.body.next_after === null) return events;
    after = page.body.next_after;
  }
}

// ingest and lease-history each in a process of its own (the built dist/ mains), on a NATS
// server of the test's own and the embedded PGlite store; lease-history is killed with
// SIGKILL while it projects a steady flow of events posted to ingest, then started again.
describe('lease-history killed with SIGKILL mid-projection', () => {
  const suite = useKillHarness({ ingest: true });

  it(
    'answers exactly the events ingest accepted once it is started again: none lost, none twice',
    async () => {
      const executions = 20;
      const prefix = uniqueName('exec');
      await killMidBatch(
        suite,
        { service: 'lease-history', workload: leaseWorkload(prefix, executions) },
        async ({ second, delivered }) => {
          // The query API answers each execution's accepted events, in cursor order, each once.
          for (let i = 0; i < executions; i++) {
            const id = `${prefix}-${i}`;
            const own = delivered.filter((event) => event.data.execution_id === id);
            expect(await historyOf(second.url, id)).toEqual(own.map((e) => [e.cursor, e.id]));
            const lease = await getJson(`${second.url}/v1/executions/${id}/lease`);
            expect(lease.body).toEqual(expectedView(id, own));
          }
          const gaps = await getJson<{ gaps: unknown[] }>(`${second.url}/v1/lease-history/gaps`);
          expect(gaps.body.gaps).toEqual([]);
        },
      );
    },
    ACK_WAIT_MS + 60_000,
  );
});
