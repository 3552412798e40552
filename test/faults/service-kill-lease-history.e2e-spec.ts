import { Logger } from '@nestjs/common';
import { type DeliveredEvent, DURABLES, streamName } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { expectedView, getJson } from '../lease-history/lease-fixtures';
import { within } from './fault-fixtures';
import { leaseWorkload } from './lease-projector';
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
    'answers exactly the events ingest accepted once it is started again: none lost, none twice',
    async () => {
      const stream = streamName('lease_history');
      const env = await h.environment('LEASE_HISTORY_PORT');
      const first = await h.start('lease-history', env);
      const executions = 20;
      const prefix = uniqueName('exec');
      const producer = new HttpProducer(ingest.url, leaseWorkload(prefix, executions)).start();
      try {
        // Mid-projection: some events applied, some delivered to it and not yet acked.
        await midBatch(h.admin, stream, DURABLES.leaseHistory, 300);
        const killedAt = Date.now();
        await first.kill();
        const atKill = await h.admin.manager.consumers.info(stream, DURABLES.leaseHistory);
        await waitFor(
          '200 events accepted while lease-history is down',
          () => producer.acceptedSince(killedAt) >= 200 || undefined,
          { timeoutMs: WAIT_MS },
        );
        const startedAt = Date.now();
        const second = await h.start('lease-history', env);
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
        await caughtUp(h.admin, stream, DURABLES.leaseHistory);
        const caughtUpAt = Date.now();

        // The query API answers each execution's accepted events, in cursor order, each once.
        const delivered: DeliveredEvent<'lease_history'>[] = producer.accepted
          .map((a) => ({ ...a.event, cursor: a.cursor }))
          .sort((a, b) => Number(a.cursor) - Number(b.cursor));
        for (let i = 0; i < executions; i++) {
          const id = `${prefix}-${i}`;
          const own = delivered.filter((event) => event.data.execution_id === id);
          expect(await historyOf(second.url, id)).toEqual(own.map((e) => [e.cursor, e.id]));
          const lease = await getJson(`${second.url}/v1/executions/${id}/lease`);
          expect(lease.body).toEqual(expectedView(id, own));
        }
        const gaps = await getJson<{ gaps: unknown[] }>(`${second.url}/v1/lease-history/gaps`);
        expect(gaps.body.gaps).toEqual([]);
        expect(await h.admin.deadLetters.list(DURABLES.leaseHistory)).toEqual([]);
        expect(await second.stop()).toBe(0);

        reportKill('lease-history', {
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
