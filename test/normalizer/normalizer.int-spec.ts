import { headers as natsHeaders } from '@nats-io/transport-node';
import { exampleEvent, liveAgentSubject } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { type DurabilityMode } from '../../apps/normalizer/src/mapping';
import {
  described,
  expectedCanonical,
  type NormalizerFixture,
  scriptedRun,
  startNormalizerFixture,
} from './normalizer-fixtures';

// The normalizer service as it runs, one durability mode at a time, on a NATS server of its own.
describe('normalizer service on RUNLOG_AGENT', () => {
  let fx: NormalizerFixture;
  beforeAll(async () => {
    fx = await startNormalizerFixture();
  });
  afterAll(async () => {
    await fx?.close();
  }, 30_000);

  const MODES: DurabilityMode[] = ['disabled', 'compacted', 'full_fidelity'];

  it.each(MODES)(
    'in mode %s writes, in order, exactly the canonical facts the mapping keeps, forwards every raw event live, and reports it on /metrics',
    async (mode) => {
      const services = await fx.service(mode);
      try {
        const [thread, run] = [uniqueName('thread'), uniqueName('run')];
        const live = fx.bus.connection.subscribe(liveAgentSubject(thread, run));
        const raw = await fx.publish(scriptedRun(thread, run));
        await fx.settled();

        const expected = expectedCanonical(raw, mode);
        const canonical = await fx.canonical(thread, run);
        expect(described(canonical)).toEqual(expected);
        const fidelities = new Set(canonical.map((event) => event.data.fidelity));
        if (mode === 'disabled') expect(expected).toEqual([]);
        if (mode === 'compacted') {
          expect(fidelities.has('domain')).toBe(true);
          expect(fidelities.has('observed_runtime')).toBe(false);
        }
        if (mode === 'full_fidelity') expect(fidelities.has('observed_runtime')).toBe(true);
        for (const event of canonical) {
          expect(event.data.scopes).toEqual([
            { type: 'thread', id: thread },
            { type: 'run', id: run },
          ]);
          expect(event.data.origin).toBe(raw[0]!.source);
          expect(raw.map((r) => r.cursor)).toContain(event.data.source_cursor);
        }

        const forwarded: string[] = [];
        for await (const message of live) {
          forwarded.push(message.json<{ id: string }>().id);
          if (forwarded.length === raw.length) break;
        }
        expect(forwarded).toEqual(raw.map((r) => r.id));

        const url = services.apps[0]!.url;
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(metrics).toContain(`runlog_normalizer_durability_mode{mode="${mode}"} 1`);
        expect(metrics).toContain('runlog_normalizer_raw_events_total{kind="run_start"} 2');
        expect(metrics).toContain('runlog_normalizer_raw_events_total{kind="run_finish"} 3');
        expect(metrics).toContain('runlog_normalizer_lag_messages{state="pending"} 0');
        const suspended = canonical.filter((e) => e.kind === 'RunSuspended').length;
        if (suspended > 0) {
          expect(metrics).toContain(
            `runlog_normalizer_canonical_events_total{kind="RunSuspended"} ${suspended}`,
          );
        } else expect(metrics).not.toContain('runlog_normalizer_canonical_events_total{kind=');

        const ready = await fetch(`${url}/health/ready`);
        expect(ready.status).toBe(200);
        expect(JSON.stringify(await ready.json())).toContain('consumer normalizer');
      } finally {
        await services.close();
      }
    },
  );

  it('dead-letters an invalid raw event (blank thread id) with the reason, and goes on', async () => {
    const services = await fx.service('compacted');
    try {
      const h = natsHeaders();
      h.set('Nats-Msg-Id', uniqueName('bad'));
      const envelope = exampleEvent('agent', 'text_delta', { id: uniqueName('bad') });
      const bad = { ...envelope, data: { ...(envelope.data as object), thread_id: '  ' } };
      await fx.bus.publisher.publishRaw(
        'events.agent.x.r',
        new TextEncoder().encode(JSON.stringify(bad)),
        h,
      );
      // Dead letters live in a stream with no event to await from here: poll its API.
      const [letter] = await waitFor(
        'a dead letter of the normalizer',
        async () => {
          const letters = await fx.bus.deadLetters.list('normalizer');
          return letters.length > 0 ? letters : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      expect(letter).toMatchObject({ cause: 'decode_failed', family: 'agent' });
      expect(letter!.reason).toContain('data.thread_id');

      // ... and the next run is normalized as usual.
      const [thread, run] = [uniqueName('thread'), uniqueName('run')];
      const raw = await fx.publish(scriptedRun(thread, run).slice(0, 1));
      await fx.settled();
      expect(described(await fx.canonical(thread, run))).toEqual(
        expectedCanonical(raw, 'compacted'),
      );
    } finally {
      await services.close();
    }
  });
});
