import { setTimeout as delay } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { type Bus } from '@runlog/bus';
import {
  DURABLES,
  encode,
  INGEST_STREAM,
  ingestSubject,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { readStream, repeated, within } from './fault-fixtures';
import { useKillHarness } from './kill-flow';
import { leaseWorkload } from './lease-projector';
import {
  ACK_WAIT_MS,
  caughtUp,
  HttpProducer,
  midBatch,
  reportKill,
  WAIT_MS,
} from './service-kill-fixtures';
import { type ServiceProcess } from './service-process';

Logger.overrideLogger(['error']);

/**
 * A producer of async ingress: publishes events straight to `ingest.lease_history.<key>`
 * with JetStream, `lanes` publishes in flight, and records each one the PubAck made safe
 * in RUNLOG_INGEST (ingest need not be up for that).
 */
class AsyncProducer {
  readonly acked: Array<{ readonly event: RunlogEvent<'lease_history'>; readonly at: number }> = [];
  private made = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly make: (index: number) => RunlogEvent<'lease_history'>,
    private readonly lanes = 4,
  ) {}

  start(): this {
    const lane = async (): Promise<void> => {
      while (!this.stopping) {
        const event = this.make(this.made++);
        const subject = ingestSubject('lease_history', event.data.execution_id);
        await this.bus.js.publish(subject, JSON.stringify(encode(event)));
        this.acked.push({ event, at: Date.now() });
        await delay(5); // a bounded rate
      }
    };
    this.loop ??= Promise.all(Array.from({ length: this.lanes }, lane)).then(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  ackedSince(at: number): number {
    return this.acked.filter((a) => a.at > at).length;
  }
}

// ingest in a process of its own (the built dist/ main) on a NATS server of the test's own,
// killed with SIGKILL while HTTP producers POST batches and async producers publish to
// ingest.>, then started again on the same port.
describe('ingest killed with SIGKILL mid-request', () => {
  const suite = useKillHarness({ ingest: false });

  it(
    'stores every event it answered 202 and every async one once; a retried unanswered batch dedupes',
    async () => {
      const { h } = suite;
      const stream = streamName('lease_history');
      const env = await h.environment('INGEST_PORT');
      const first: ServiceProcess = await h.start('ingest', env);
      const http = new HttpProducer(first.url, leaseWorkload(uniqueName('http'), 20), {
        retryUnanswered: true,
      }).start();
      const ingress = new AsyncProducer(h.admin, leaseWorkload(uniqueName('async'), 20)).start();
      try {
        // Mid-request: HTTP batches in flight back to back; async ingress holding some unacked.
        await waitFor('300 events answered 202', () => http.accepted.length >= 300 || undefined, {
          timeoutMs: WAIT_MS,
        });
        await midBatch(h.admin, INGEST_STREAM, DURABLES.ingest, 100);
        const killedAt = Date.now();
        await first.kill();
        const atKill = await h.admin.manager.consumers.info(INGEST_STREAM, DURABLES.ingest);
        const acceptedBeforeKill = http.accepted.length;
        await waitFor(
          '100 async events published and a batch left unanswered while ingest is down',
          () => (ingress.ackedSince(killedAt) >= 100 && http.unanswered.length > 0) || undefined,
          { timeoutMs: WAIT_MS },
        );
        const startedAt = Date.now();
        const second = await h.start('ingest', env);
        const restartedAt = Date.now();
        expect(second.url).toBe(first.url);
        await waitFor(
          '200 events answered 202 and 100 async published after the restart',
          () =>
            (http.acceptedSince(restartedAt) >= 200 && ingress.ackedSince(restartedAt) >= 100) ||
            undefined,
          { timeoutMs: WAIT_MS },
        );
        await within(30_000, 'the producers to stop', Promise.all([http.stop(), ingress.stop()]));
        expect(http.refused).toEqual([]);

        // What the killed process held unacked comes back after the ack wait; the
        // work-queue stream is empty once every async event is routed.
        await caughtUp(h.admin, INGEST_STREAM, DURABLES.ingest);
        const caughtUpAt = Date.now();

        // The family stream holds every event answered 202 (at the cursor it was answered
        // with) and every async event, each once. An event answered `duplicate: true` was
        // in a batch left unanswered by the killed process and sent again.
        const stored = await readStream(h.admin, 'lease_history');
        const ids = stored.map((event) => event.id);
        expect(repeated(ids)).toEqual([]);
        const cursorOf = new Map(stored.map((event) => [event.id, event.cursor]));
        const answered = http.accepted.map((a) => [a.event.id, a.cursor]);
        expect(answered.filter(([id, cursor]) => cursorOf.get(id!) !== cursor)).toEqual([]);
        const unanswered = new Set(http.unanswered.flatMap((u) => u.ids));
        const duplicates = http.accepted.filter((a) => a.duplicate);
        expect(duplicates.filter((a) => !unanswered.has(a.event.id))).toEqual([]);
        const sent = [...http.accepted, ...ingress.acked].map((a) => a.event.id);
        expect(repeated(sent)).toEqual([]);
        expect([...ids].sort()).toEqual([...sent].sort());
        expect((await h.admin.manager.streams.info(stream)).state.messages).toBe(sent.length);
        expect(await h.admin.deadLetters.list(DURABLES.ingest)).toEqual([]);
        expect(await second.stop()).toBe(0);

        reportKill('ingest', {
          accepted: sent.length,
          unacked: atKill.num_ack_pending,
          killedAt,
          startedAt,
          restartedAt,
          caughtUpAt,
          more: [
            `${http.accepted.length} over HTTP (${acceptedBeforeKill} answered before the kill)`,
            `${ingress.acked.length} async`,
            `${http.unanswered.length} attempts unanswered (${unanswered.size} events in them)`,
            `${duplicates.length} answered duplicate on the retry`,
          ],
        });
      } finally {
        await within(30_000, 'the producers to stop', Promise.all([http.stop(), ingress.stop()]));
      }
    },
    ACK_WAIT_MS + 90_000,
  );
});
