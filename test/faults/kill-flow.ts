// The flow the service-kill tests of a consumer share: ingest in a process of its own, the
// consumer started, killed with SIGKILL mid-batch while a producer posts to ingest, started
// again, and caught up; each test then checks what the consumer answers (its own assertions).
import {
  type DeliveredEvent,
  DURABLES,
  type Family,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { waitFor } from '@runlog/testing';
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

/** A kill harness for the tests of one describe, with ingest running when asked. */
export interface KillSuite {
  readonly h: KillHarness;
  readonly ingest: ServiceProcess;
}

/** Call in a describe: starts the harness (and ingest) before its tests, closes it after. */
export function useKillHarness({ ingest: withIngest }: { ingest: boolean }): KillSuite {
  let h: KillHarness | undefined;
  let ingest: ServiceProcess | undefined;
  beforeAll(async () => {
    h = await startKillHarness();
    if (withIngest) ingest = await h.start('ingest', await h.environment('INGEST_PORT'));
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  }, 30_000);
  return {
    get h(): KillHarness {
      if (h === undefined) throw new Error('the kill harness is not started');
      return h;
    },
    get ingest(): ServiceProcess {
      if (ingest === undefined) throw new Error('ingest is not started');
      return ingest;
    },
  };
}

/**
 * The consumers the flow kills: the port variable and durable of each, and whether its
 * stream keeps what it is sent (before the catch-up it must hold every accepted event) or
 * is a work queue (empty once caught up, which takes the order waits' redeliveries too).
 */
const CONSUMERS = {
  'lease-history': {
    label: 'lease-history',
    portVariable: 'LEASE_HISTORY_PORT',
    family: 'lease_history',
    durable: DURABLES.leaseHistory,
    retains: true,
    caughtUpMs: ACK_WAIT_MS + WAIT_MS,
  },
  'trace-store': {
    label: 'trace-store',
    portVariable: 'TRACE_STORE_PORT',
    family: 'trace',
    durable: DURABLES.traceStore,
    retains: true,
    caughtUpMs: ACK_WAIT_MS + WAIT_MS,
  },
  normalizer: {
    label: 'the normalizer',
    portVariable: 'NORMALIZER_PORT',
    family: 'agent',
    durable: DURABLES.normalizer,
    retains: false,
    caughtUpMs: ACK_WAIT_MS + 3 * WAIT_MS,
  },
} as const;
type Consumer = keyof typeof CONSUMERS;
type FamilyOf<S extends Consumer> = (typeof CONSUMERS)[S]['family'];

/** Which consumer the flow kills (`dist/apps/<service>`), and what the producer posts. */
export interface ConsumerKill<S extends Consumer> {
  readonly service: S;
  readonly workload: (index: number) => RunlogEvent<FamilyOf<S>>;
  readonly extraEnv?: Readonly<Record<string, string>>;
}

/** The consumer started again and caught up, with what the producer had accepted. */
export interface Restarted<F extends Family> {
  readonly producer: HttpProducer<F>;
  readonly second: ServiceProcess;
  /** The accepted events at their cursors, in cursor order. */
  readonly delivered: DeliveredEvent<F>[];
}

/**
 * Runs the kill flow, then `check` on the restarted consumer (which must stop cleanly
 * after it) and writes the kill's figures, with the further ones `check` returns.
 */
export async function killMidBatch<S extends Consumer>(
  { h, ingest }: KillSuite,
  { service, workload, extraEnv }: ConsumerKill<S>,
  check: (run: Restarted<FamilyOf<S>>) => Promise<readonly string[] | void>,
): Promise<void> {
  type F = FamilyOf<S>;
  const kill = CONSUMERS[service];
  const stream = streamName(kill.family);
  const env = await h.environment(kill.portVariable, extraEnv);
  const first = await h.start(service, env);
  const producer = new HttpProducer<F>(ingest.url, workload).start();
  try {
    // Mid-batch: some events applied and acked, some delivered to it and not yet acked.
    await midBatch(h.admin, stream, kill.durable, 300);
    const killedAt = Date.now();
    await first.kill();
    const atKill = await h.admin.manager.consumers.info(stream, kill.durable);
    await waitFor(
      `200 events accepted while ${kill.label} is down`,
      () => producer.acceptedSince(killedAt) >= 200 || undefined,
      { timeoutMs: WAIT_MS },
    );
    const startedAt = Date.now();
    const second = await h.start(service, env);
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
    if (kill.retains) {
      const { state } = await h.admin.manager.streams.info(stream);
      expect(state.messages).toBe(producer.accepted.length);
    }
    await caughtUp(h.admin, stream, kill.durable, kill.caughtUpMs);
    const caughtUpAt = Date.now();

    const delivered: DeliveredEvent<F>[] = producer.accepted
      .map((a): DeliveredEvent<F> => ({ ...a.event, cursor: a.cursor }))
      .sort((a, b) => Number(a.cursor) - Number(b.cursor));
    const more = (await check({ producer, second, delivered })) ?? [];
    expect(await h.admin.deadLetters.list(kill.durable)).toEqual([]);
    expect(await second.stop()).toBe(0);

    reportKill(service, {
      accepted: producer.accepted.length,
      unacked: atKill.num_ack_pending,
      killedAt,
      startedAt,
      restartedAt,
      caughtUpAt,
      more,
    });
  } finally {
    await within(30_000, 'the producer to stop', producer.stop());
  }
}
