import { setTimeout as delay } from 'node:timers/promises';
import { type Bus } from '@runlog/bus';
import { type RunlogEvent } from '@runlog/contracts';
import { uniqueName } from '@runlog/testing';
import {
  agent,
  described,
  expectedCanonical,
  type NormalizerFixture,
  sample,
  scriptedRun,
  startNormalizerFixture,
  withPublishMany,
} from './normalizer-fixtures';

// Crashes, restarts, retries and replicas: the canonical stream must come out as if
// nothing happened. One NATS server of its own; replicas are stopped by each test.
describe('normalizer under faults', () => {
  let fx: NormalizerFixture;
  beforeAll(async () => {
    fx = await startNormalizerFixture();
  });
  afterAll(async () => {
    await fx?.close();
  }, 60_000);

  /** A short ack wait, so a crashed replica's messages come back within the test. */
  const FAST_REDELIVERY = { ackWaitMs: 1_000, stopTimeoutMs: 200 };

  it.each(['after publishing', 'after storing the run state, before publishing'] as const)(
    'a replica that crashes %s, before the ack, leaves exactly one canonical event per fact once another takes over',
    async (when) => {
      const [thread, run] = [uniqueName('thread'), uniqueName('run')];
      let crashed!: () => void;
      const crash = new Promise<void>((resolve) => (crashed = resolve));
      const a = await fx.replica({
        consumer: FAST_REDELIVERY,
        wrap: (bus) =>
          withPublishMany(bus, async (publishMany, events) => {
            if (!events.some((event) => event.kind === 'RunFinished')) return publishMany(events);
            if (when === 'after publishing') await publishMany(events);
            // The process dies here: its connection drops, the ack is never sent.
            await bus.connection.close();
            crashed();
            return new Promise(() => undefined);
          }),
      });
      const raw = await fx.publish(scriptedRun(thread, run));
      await crash;
      await a.stop();

      const b = await fx.replica({ consumer: FAST_REDELIVERY });
      try {
        await fx.settled();
        const canonical = await fx.canonical(thread, run);
        expect(described(canonical)).toEqual(expectedCanonical(raw, 'full_fidelity'));
        expect(canonical.filter((event) => event.kind === 'RunFinished')).toHaveLength(1);
        // Taking over after a publish means publishing again: JetStream answers "duplicate".
        const duplicates = await sample(b.registry, 'runlog_bus_duplicates_total', {
          stream: 'RUNLOG_CANONICAL',
        });
        expect(duplicates).toBe(when === 'after publishing' ? 1 : 0);
      } finally {
        await b.stop();
      }
    },
  );

  it('keeps run state across a normalizer restart and a NATS kill -9: a second run_start resumes, a late finish does not count', async () => {
    const [thread, run] = [uniqueName('thread'), uniqueName('run')];
    const script = scriptedRun(thread, run);
    const firstHalf = script.slice(0, 6); // ... up to the suspended finish
    expect(firstHalf.at(-1)!.kind).toBe('run_finish');

    const first = await fx.service('compacted');
    const before = await fx.publish(firstHalf);
    await fx.settled();
    await first.close();
    if (fx.server.kind === 'process') await fx.server.restart();

    const second = await fx.service('compacted');
    try {
      const after = await fx.publish(script.slice(6));
      await fx.settled();
      const canonical = await fx.canonical(thread, run);
      expect(described(canonical)).toEqual(expectedCanonical([...before, ...after], 'compacted'));
      expect(canonical.map((event) => event.kind)).toEqual(
        expect.arrayContaining(['RunStarted', 'RunSuspended', 'RunResumed', 'RunFinished']),
      );
      expect(canonical.filter((event) => event.kind === 'RunStarted')).toHaveLength(1);
      expect(canonical.filter((event) => event.kind === 'RunFinished')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('two replicas on one durable write every run in the same order, from the same states, as one', async () => {
    const runs = Array.from(
      { length: 6 },
      () => [uniqueName('thread'), uniqueName('run')] as const,
    );
    const scripts = runs.map(([thread, run]) => scriptedRun(thread, run));
    // Interleaved, as concurrent runs arrive: event i of every run, then event i + 1 ...
    const interleaved: RunlogEvent<'agent'>[] = scripts[0]!.flatMap((_, i) =>
      scripts.map((script) => script[i]!),
    );
    // One replica slower than the other (20 ms a write, as on a busy node): without per-run
    // order, the fast one would overtake the slow one inside a run.
    const slow = (bus: Bus) =>
      withPublishMany(bus, async (publishMany, events) => {
        await delay(20);
        return publishMany(events);
      });
    const consumer = { maxAckPending: 8 };
    const replicas = [await fx.replica({ consumer }), await fx.replica({ consumer, wrap: slow })];
    try {
      const raw = await fx.publish(interleaved);
      await fx.settled();
      for (const [thread, run] of runs) {
        const ofRun = raw.filter((event) => event.data.run_id === run);
        expect(described(await fx.canonical(thread, run))).toEqual(
          expectedCanonical(ofRun, 'full_fidelity'),
        );
      }
      const handled = await Promise.all(
        replicas.map((replica) => sample(replica.registry, 'runlog_normalizer_raw_events_total')),
      );
      expect(handled.every((count) => count > 0)).toBe(true);
      expect(handled[0]! + handled[1]!).toBe(interleaved.length);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
  });

  it('a failed write is retried without letting the rest of its run overtake it', async () => {
    const [thread, run] = [uniqueName('thread'), uniqueName('run')];
    const raw = await fx.publish(scriptedRun(thread, run));
    let failures = 0;
    const replica = await fx.replica({
      wrap: (bus) =>
        withPublishMany(bus, async (publishMany, events) => {
          if (failures === 0 && events.some((event) => event.kind === 'TextDeltaObserved')) {
            failures++;
            throw new Error('injected: JetStream did not answer');
          }
          return publishMany(events);
        }),
    });
    try {
      await fx.settled();
      expect(failures).toBe(1);
      expect(described(await fx.canonical(thread, run))).toEqual(
        expectedCanonical(raw, 'full_fidelity'),
      );
      const handedBack = await sample(replica.registry, 'runlog_normalizer_order_waits_total', {
        outcome: 'handed_back',
      });
      expect(handedBack).toBeGreaterThan(0);
    } finally {
      await replica.stop();
    }
  });

  it('a replica that dies holding the first event of a long run does not stall the survivor on the rest', async () => {
    // A 3 s ack wait: the dead replica's messages come back 3 s after its death. Before the
    // fix, each later event of the run waited 2 s in place for the first one, one after
    // the other in the run's chain, so the survivor needed about 2 s per event.
    const options = { ackWaitMs: 3_000, stopTimeoutMs: 200 };
    const [thread, run] = [uniqueName('thread'), uniqueName('run')];
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    const a = await fx.replica({
      consumer: options,
      wrap: (bus) =>
        withPublishMany(bus, async (publishMany, events) => {
          if (!events.some((event) => event.kind === 'RunStarted')) return publishMany(events);
          await bus.connection.close(); // the process dies holding the run's first event
          crashed();
          return new Promise(() => undefined);
        }),
    });
    const raw = await fx.publish([
      agent('run_start', thread, run),
      ...Array.from({ length: 60 }, () => agent('text_delta', thread, run)),
    ]);
    await crash;
    await a.stop();

    const b = await fx.replica({ consumer: options });
    try {
      await fx.settled(25_000);
      expect(described(await fx.canonical(thread, run))).toEqual(
        expectedCanonical(raw, 'full_fidelity'),
      );
      const overtook = await sample(b.registry, 'runlog_normalizer_order_waits_total', {
        outcome: 'overtook',
      });
      expect(overtook).toBe(0);
    } finally {
      await b.stop();
    }
  }, 60_000);
});
