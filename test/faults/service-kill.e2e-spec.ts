import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Bus } from '@runlog/bus';
import {
  type DeliveredEvent,
  DURABLES,
  encode,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { freePort, type NatsServerHandle, startNats, uniqueName, waitFor } from '@runlog/testing';
import { expectedView, getJson } from '../lease-history/lease-fixtures';
import { within } from './fault-fixtures';
import { leaseWorkload } from './lease-projector';
import { ensureBuilt, type ServiceProcess, startServiceProcess } from './service-process';

Logger.overrideLogger(['error']);

/** The durable's ack wait (lease-history's default): what the killed process held comes back after it. */
const ACK_WAIT_MS = 30_000;
const WAIT_MS = 30_000;

interface Accepted {
  readonly event: RunlogEvent<'lease_history'>;
  readonly cursor: string;
  readonly at: number;
}

/**
 * A producer of the HTTP API: POSTs batches to ingest's /v1/events back to back, `lanes`
 * requests in flight, and records every event answered 202 with its cursor.
 */
class HttpProducer {
  readonly accepted: Accepted[] = [];
  readonly refused: string[] = [];
  private made = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly make: (index: number) => RunlogEvent<'lease_history'>,
    private readonly lanes = 2,
    private readonly batchSize = 20,
  ) {}

  start(): this {
    const lane = async (): Promise<void> => {
      while (!this.stopping) {
        const events = Array.from({ length: this.batchSize }, () => this.make(this.made++));
        const response = await fetch(`${this.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(events.map((event) => encode(event))),
          signal: AbortSignal.timeout(20_000),
        });
        const body = (await response.json()) as {
          accepted?: Array<{ index: number; cursor: string; duplicate: boolean }>;
        };
        if (response.status !== 202 || !body.accepted) {
          this.refused.push(`${response.status} ${JSON.stringify(body)}`);
          continue;
        }
        const at = Date.now();
        for (const entry of body.accepted) {
          if (entry.duplicate) this.refused.push(`duplicate ${events[entry.index]!.id}`);
          this.accepted.push({ event: events[entry.index]!, cursor: entry.cursor, at });
        }
        await delay(10); // a bounded rate
      }
    };
    this.loop ??= Promise.all(Array.from({ length: this.lanes }, lane)).then(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  acceptedSince(at: number): number {
    return this.accepted.filter((a) => a.at > at).length;
  }
}

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
  let nats: NatsServerHandle;
  let dataDir: string;
  let admin: Bus;
  let ingest: ServiceProcess | undefined;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    nats = await startNats({ dedicated: true });
    dataDir = mkdtempSync(join(tmpdir(), 'runlog-faults-'));
    admin = await Bus.connect({
      servers: [nats.url],
      name: uniqueName('faults-admin'),
      streams: { replicas: 1, maxAgeMs: {} },
    });
    ingest = await startServiceProcess('ingest', await environment('INGEST_PORT'));
    services.push(ingest);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.kill()));
    await admin?.close();
    await nats?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  async function environment(portVariable: string): Promise<Record<string, string>> {
    return {
      NATS_URL: nats.url,
      RUNLOG_DATA_DIR: dataDir,
      RUNLOG_HTTP_HOST: '127.0.0.1',
      [portVariable]: String(await freePort()),
      LOG_LEVEL: 'error',
      LOG_PRETTY: '0',
    };
  }

  const durable = () =>
    admin.manager.consumers.info(streamName('lease_history'), DURABLES.leaseHistory);

  it(
    'answers exactly the events ingest accepted once it is started again: none lost, none twice',
    async () => {
      const env = await environment('LEASE_HISTORY_PORT');
      const first = await startServiceProcess('lease-history', env);
      services.push(first);
      const executions = 20;
      const prefix = uniqueName('exec');
      const producer = new HttpProducer(ingest!.url, leaseWorkload(prefix, executions)).start();
      try {
        // Mid-projection: some events applied, some delivered to it and not yet acked.
        await waitFor(
          'lease-history applying events',
          async () => {
            const info = await durable();
            return info.ack_floor.stream_seq >= 300 && info.num_ack_pending > 0 ? true : undefined;
          },
          { timeoutMs: WAIT_MS, intervalMs: 20 },
        );
        const killedAt = Date.now();
        await first.kill();
        const atKill = await durable();
        await waitFor(
          '200 events accepted while lease-history is down',
          () => producer.acceptedSince(killedAt) >= 200 || undefined,
          { timeoutMs: WAIT_MS },
        );
        const startedAt = Date.now();
        const second = await startServiceProcess('lease-history', env);
        services.push(second);
        const restartedAt = Date.now();
        await waitFor(
          '200 events accepted after the restart',
          () => producer.acceptedSince(restartedAt) >= 200 || undefined,
          { timeoutMs: WAIT_MS },
        );
        await within(30_000, 'the producer to stop', producer.stop());
        expect(producer.refused).toEqual([]);

        // What the killed process held unacked comes back after the ack wait.
        const { state } = await admin.manager.streams.info(streamName('lease_history'));
        expect(state.messages).toBe(producer.accepted.length);
        await waitFor(
          'lease-history caught up with every accepted event',
          async () => {
            const info = await durable();
            return info.ack_floor.stream_seq === state.last_seq &&
              info.num_ack_pending + info.num_pending === 0
              ? true
              : undefined;
          },
          { timeoutMs: ACK_WAIT_MS + WAIT_MS, intervalMs: 100 },
        );
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
        expect(await admin.deadLetters.list(DURABLES.leaseHistory)).toEqual([]);
        expect(await second.stop()).toBe(0);

        process.stderr.write(
          `[faults] lease-history kill -9: ${producer.accepted.length} events accepted, ` +
            `${atKill.num_ack_pending} unacked in the killed process, ` +
            `down ${restartedAt - killedAt} ms (its start took ${restartedAt - startedAt} ms), ` +
            `caught up ${caughtUpAt - restartedAt} ms after the restart\n`,
        );
      } finally {
        await within(30_000, 'the producer to stop', producer.stop());
      }
    },
    ACK_WAIT_MS + 60_000,
  );
});
