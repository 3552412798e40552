import { Logger } from '@nestjs/common';
import { PULL_EXPIRES_MS } from '@runlog/bus';
import { DURABLES, INGEST_STREAM, streamName } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { RUN_STATE_BUCKET } from '../../apps/normalizer/src/run-state/run-state-store';
import { getJson } from '../projection-fixture';
import { CLUSTER_WAIT_MS } from './cluster-fixtures';
import {
  type ClusterServices,
  IngressProducer,
  ReadinessProbe,
  startClusterServices,
} from './cluster-services-fixtures';
import { readBack } from './cluster-services-read-back';
import { within } from './fault-fixtures';
import { CONSUMED } from './fuzz-fixtures';
import { leaseWorkload } from './lease-projector';
import { caughtUp, HttpProducer } from './service-kill-fixtures';
import { agentWorkload, traceWorkload } from './workloads';

// The bus logs every disconnect and retry as a warning: expected here.
Logger.overrideLogger(['error']);

const MODE = 'full_fidelity';
/** How soon after the kill every service must be ready again. */
const READY_MS = 20_000;
/** How soon a durable must pull an event stored after the kill: three pull request lifetimes. */
const PULL_LAG_MS = 3 * PULL_EXPIRES_MS;
const TRACES = 10;
const RUNS = 10;
const EXECUTIONS = 10;

const TRACE = streamName('trace');
const AGENT = streamName('agent');
const LEASES = streamName('lease_history');
/** Every stream the flow crosses, the run-state bucket's included: all led from the node killed. */
const LED_STREAMS = [
  INGEST_STREAM,
  TRACE,
  AGENT,
  streamName('canonical'),
  LEASES,
  `KV_${RUN_STATE_BUCKET}`,
];
/** The durables moved onto the node killed (async ingress's is there already: it picks the node). */
const MOVED_DURABLES: ReadonlyArray<readonly [string, string]> = [
  [TRACE, DURABLES.traceStore],
  [AGENT, DURABLES.normalizer],
  [LEASES, DURABLES.leaseHistory],
];
/** The durables led from the node killed. */
const LED_DURABLES: ReadonlyArray<readonly [string, string]> = [
  [INGEST_STREAM, DURABLES.ingest],
  ...MOVED_DURABLES,
];
/** Every durable the flow crosses: caught up at the end. */
const ALL_DURABLES: ReadonlyArray<readonly [string, string]> = [
  [INGEST_STREAM, DURABLES.ingest],
  ...Object.values(CONSUMED).map((c) => [c.stream, c.durable] as const),
];

// A three-node JetStream cluster (nats-server 2.9, routes on loopback) with every stream
// at three replicas, the four services in one process on it, and producers at both doors.
// The node leading every stream and durable the flow crosses is killed with SIGKILL
// mid-flow, and started again later.
/** An event stored in a stream after the kill: its sequence, and when its door answered. */
interface Stored {
  readonly seq: number;
  readonly at: number;
}

describe('the four services on a three-node NATS cluster whose leader is killed with SIGKILL', () => {
  let cs: ClusterServices;
  beforeAll(async () => {
    cs = await startClusterServices(MODE);
  }, 90_000);
  afterAll(async () => {
    await cs?.close();
  }, 60_000);

  it('is ready again within 20 s, and stores, projects and answers every accepted event once', async () => {
    const { fx, urls } = cs;
    const { admin } = fx;
    const delivered = async (stream: string, durable: string) =>
      (await admin.manager.consumers.info(stream, durable)).delivered.stream_seq;
    const ackFloor = async (stream: string, durable: string) =>
      (await admin.manager.consumers.info(stream, durable)).ack_floor.stream_seq;

    // The node to kill leads async ingress's durable; every stream and durable the flow
    // crosses is led from it too, so the kill takes all their leaders at once.
    const target = await fx.consumerLeader(INGEST_STREAM, DURABLES.ingest);
    for (const stream of LED_STREAMS) await fx.moveStreamLeader(stream, target);
    for (const [stream, durable] of MOVED_DURABLES)
      await fx.moveConsumerLeader(stream, durable, target);
    // A moved durable lost its pull request with its old leader: await the new one.
    await waitFor(
      'every durable pulling at its leader',
      async () => {
        for (const [stream, durable] of LED_DURABLES) {
          const info = await admin.manager.consumers.info(stream, durable);
          if (info.cluster?.leader !== target || (info.num_waiting ?? 0) === 0) return undefined;
        }
        return true;
      },
      { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 100 },
    );

    // Producers at both doors. The async one's connection is on the node killed.
    const prefix = uniqueName('c');
    const retry = { retryUnanswered: true, retryUnavailable: true, lanes: 2, paceMs: 100 };
    const traces = new HttpProducer(urls.ingest, traceWorkload(`${prefix}-req`, TRACES), {
      ...retry,
      batchSize: 10,
    });
    const thread = `${prefix}-thread`;
    const agents = new HttpProducer(urls.ingest, agentWorkload(thread, RUNS), {
      ...retry,
      batchSize: 5,
    });
    const ingress = new IngressProducer(
      await fx.connect(fx.cluster.node(target).url),
      leaseWorkload(`${prefix}-exec`, EXECUTIONS),
      4,
      50,
    );
    const probe = new ReadinessProbe(urls);
    const stopProducers = () =>
      within(
        30_000,
        'the producers to stop',
        Promise.all([traces.stop(), agents.stop(), ingress.stop()]),
      );
    let killedAt = 0;
    let restartedAt = 0;
    const pulling: Record<string, number> = {};
    const pullLag: Record<string, number> = {};
    try {
      traces.start();
      agents.start();
      ingress.start();
      // Mid-flow: every durable has acked some events, and the producers are publishing.
      await waitFor(
        'some events projected by every service',
        async () =>
          (await ackFloor(TRACE, DURABLES.traceStore)) >= 100 &&
          (await ackFloor(AGENT, DURABLES.normalizer)) >= 50 &&
          (await ackFloor(INGEST_STREAM, DURABLES.ingest)) >= 50 &&
          (await ackFloor(LEASES, DURABLES.leaseHistory)) >= 50
            ? true
            : undefined,
        { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 100 },
      );
      probe.start();
      killedAt = Date.now();
      await fx.cluster.kill(target);

      // Every service ready again, and every durable pulling events stored after the kill.
      await waitFor('every service ready again', () => probe.allReadySince(killedAt) || undefined, {
        timeoutMs: CLUSTER_WAIT_MS,
        intervalMs: 100,
      });
      // Pulling again: the durable delivered an event stored after the kill. Timed from
      // the kill, and from the moment that event was stored (its door's answer).
      const pullingAgain = async (
        name: string,
        stream: string,
        durable: string,
        stored: () => Promise<Stored | undefined> | Stored | undefined,
      ): Promise<void> => {
        const first = await waitFor(
          `${durable} pulling from ${stream} again`,
          async () => {
            const event = await stored();
            return event !== undefined && (await delivered(stream, durable)) >= event.seq
              ? event
              : undefined;
          },
          { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 100 },
        );
        pulling[name] = Date.now() - killedAt;
        pullLag[name] = Date.now() - first.at;
      };
      let routed: Stored | undefined;
      const firstSent = (accepted: { cursor: string; at: number } | undefined) =>
        accepted && { seq: Number(accepted.cursor), at: accepted.at };
      await Promise.all([
        pullingAgain('ingest', INGEST_STREAM, DURABLES.ingest, () =>
          ingress.firstStartedAfter(killedAt),
        ),
        // Once async ingress pulls again, what it routes next is stored after the kill.
        pullingAgain('lease-history', LEASES, DURABLES.leaseHistory, async () => {
          if (pulling['ingest'] === undefined) return undefined;
          const last = (await admin.manager.streams.info(LEASES)).state.last_seq;
          routed ??= { seq: last + 1, at: Date.now() };
          return routed;
        }),
        pullingAgain('trace-store', TRACE, DURABLES.traceStore, () =>
          firstSent(traces.firstSentAfter(killedAt)),
        ),
        pullingAgain('normalizer', AGENT, DURABLES.normalizer, () =>
          firstSent(agents.firstSentAfter(killedAt)),
        ),
      ]);
      // Producing on, the probe asking, until events are accepted more than 20 s after
      // the kill: a service that is not ready then shows in the probe's answers.
      const lateAt = killedAt + READY_MS;
      await waitFor(
        'events accepted at both doors more than 20 s after the kill',
        () =>
          (traces.acceptedSince(lateAt) >= 50 &&
            agents.acceptedSince(lateAt) >= 25 &&
            ingress.acceptedSince(lateAt) >= 25) ||
          undefined,
        { timeoutMs: CLUSTER_WAIT_MS },
      );
      await probe.stop();

      // Started again later, mid-flow too.
      await fx.cluster.start(target);
      restartedAt = Date.now();
      await waitFor(
        'events accepted at both doors after the restart',
        () =>
          (traces.acceptedSince(restartedAt) >= 50 &&
            agents.acceptedSince(restartedAt) >= 25 &&
            ingress.acceptedSince(restartedAt) >= 25) ||
          undefined,
        { timeoutMs: CLUSTER_WAIT_MS },
      );
    } finally {
      await stopProducers();
      await probe.stop();
    }
    for (const [stream, durable] of ALL_DURABLES) await caughtUp(admin, stream, durable);
    const caughtUpAt = Date.now();

    // Every accepted event stored once, projected once, and answered by its service.
    const back = await readBack(admin, urls, {
      traces: traces.accepted,
      agents: agents.accepted,
      leases: ingress.accepted,
      traceIds: Array.from({ length: TRACES }, (_, i) => `${prefix}-req-${i}`),
      thread,
      runs: Array.from({ length: RUNS }, (_, i) => `r-${i}`),
      executionIds: Array.from({ length: EXECUTIONS }, (_, i) => `${prefix}-exec-${i}`),
      mode: MODE,
    });
    const f = back.figures;
    const ready = probe.readyAgainAfter(killedAt);
    const notReady = probe.notReadySince(killedAt);
    const accepting = (first: { at: number } | undefined) =>
      first === undefined ? '-' : first.at - killedAt;
    const ms = (values: Record<string, number | undefined>) =>
      Object.entries(values)
        .map(([name, value]) => `${name} ${value ?? '-'} ms`)
        .join(', ');
    process.stderr.write(
      `[faults] cluster leader kill (services): killed ${target}, leading ` +
        `${LED_STREAMS.length} streams and ${LED_DURABLES.length} durables; ` +
        `HTTP trace ${traces.made} sent, ${traces.accepted.length} accepted ` +
        `(${traces.unavailable} answers 503 retried), ${f.storedTraces} stored, ` +
        `${f.projectedTraces} projected; ` +
        `HTTP agent ${agents.made} sent, ${agents.accepted.length} accepted ` +
        `(${agents.unavailable} answers 503 retried), ${f.storedRaw} stored, ` +
        `${f.facts} canonical facts of ${f.expectedFacts} expected; ` +
        `async lease ${ingress.accepted.length} sent and accepted ` +
        `(${ingress.errors} failed publishes retried), ${f.storedLeases} stored, ` +
        `${f.projectedLeases} projected; ` +
        `lost ${back.lost.length}, duplicated ${back.twice.length}, wrong ${back.wrong.length}; ` +
        `ready again after ${ms(ready)} (answers not 200: ${JSON.stringify(notReady)}); ` +
        `accepting again after HTTP trace ${accepting(traces.firstSentAfter(killedAt))} ms, ` +
        `HTTP agent ${accepting(agents.firstSentAfter(killedAt))} ms, ` +
        `async ${accepting(ingress.firstStartedAfter(killedAt))} ms; ` +
        `pulling again after ${ms(pulling)} (after the event was stored: ${ms(pullLag)}); ` +
        `restarted ${restartedAt - killedAt} ms, caught up ${caughtUpAt - killedAt} ms after the kill\n`,
    );

    expect(traces.refused).toEqual([]);
    expect(agents.refused).toEqual([]);
    expect(back.lost).toEqual([]);
    expect(back.twice).toEqual([]);
    expect(back.wrong).toEqual([]);
    expect(f.leftRaw).toBe(0);
    for (const [, durable] of ALL_DURABLES)
      expect(await admin.deadLetters.list(durable)).toEqual([]);
    const traceGaps = await getJson<{ gaps: unknown[] }>(
      `${urls['trace-store']}/v1/trace-store/gaps`,
    );
    expect(traceGaps.body.gaps).toEqual([]);
    const leaseGaps = await getJson<{ gaps: unknown[] }>(
      `${urls['lease-history']}/v1/lease-history/gaps`,
    );
    expect(leaseGaps.body.gaps).toEqual([]);

    // Ready again within 20 s of the kill. Each durable pulled an event stored after the
    // kill soon after it was stored: a pull request lost with its leader is asked again
    // once it expires (async ingress waited 30 s for that, nats.js's default, before).
    const late = (values: Record<string, number | undefined>, bound: number) =>
      Object.entries(values).filter(([, after]) => after === undefined || after > bound);
    expect(late(ready, READY_MS)).toEqual([]);
    expect(Object.keys(pullLag).sort()).toEqual([
      'ingest',
      'lease-history',
      'normalizer',
      'trace-store',
    ]);
    expect(late(pullLag, PULL_LAG_MS)).toEqual([]);
  }, 180_000);
});
