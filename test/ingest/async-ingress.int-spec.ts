import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { type Bus, type DeadLetter } from '@runlog/bus';
import { uniqueName, waitFor } from '@runlog/testing';
import { withFixture } from '../use-fixture';
import { event, type IngestFixture } from './ingest-fixtures';
import { startIngress } from './ingress-fixture';

describe('async ingress (RUNLOG_INGEST)', () => {
  let fx: IngestFixture;
  let js: JetStreamClient;
  let bus: Bus;
  withFixture(
    startIngress,
    (started) => {
      ({ fx, bus } = started);
      js = jetstream(fx.nc);
    },
    { once: true },
  );

  it('routes valid events to their family streams with the same msgID, and dead-letters the bad', async () => {
    const structured = event('trace', 'op_start');
    const binary = event('lease_history', 'acquired');
    const invalid = event('engine', 'request_served', { status_code: 42 });
    const misrouted = event('completion', 'completed');
    const before = await fx.counts();

    await js.publish('ingest.trace.req-1', JSON.stringify(structured));
    const h = natsHeaders();
    for (const [name, value] of Object.entries(binary)) {
      if (name !== 'data') h.set(`ce-${name}`, String(value));
    }
    await js.publish('ingest.lease_history.exec-1', JSON.stringify(binary.data), { headers: h });
    await js.publish('ingest.engine.qwen3-4b', JSON.stringify(invalid));
    await js.publish('ingest.trace.req-1', '{"specversion": "1.0", ');
    await js.publish('ingest.trace.exec-1', JSON.stringify(misrouted));

    const letters = await waitFor(
      'three dead letters',
      async () => {
        const found = await bus.deadLetters.list('ingest');
        return found.length >= 3 ? found : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    await waitFor(
      'the two valid events in their streams',
      async () => {
        const counts = await fx.counts();
        return counts.trace === before.trace + 1 &&
          counts.lease_history === before.lease_history + 1
          ? counts
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );

    const stored = await fx.jsm.streams.getMessage('RUNLOG_LEASE_HISTORY', {
      last_by_subj: 'events.lease_history.exec-1',
    });
    expect(stored?.header.get('Nats-Msg-Id')).toBe(binary.id);
    expect(stored?.json<Record<string, unknown>>()).toMatchObject({
      id: binary.id,
      data: binary.data,
    });

    const byFamily = (family: string) => letters.filter((l: DeadLetter) => l.family === family);
    expect(byFamily('engine')).toHaveLength(1);
    expect(JSON.parse(byFamily('engine')[0]!.reason)).toEqual([
      expect.objectContaining({ path: 'data.status_code', code: 'out_of_range' }),
    ]);
    expect(byFamily('trace').map((l) => JSON.parse(l.reason) as Array<{ path: string }>)).toEqual(
      expect.arrayContaining([
        [expect.objectContaining({ code: 'invalid_format' })],
        [expect.objectContaining({ path: 'type', code: 'invalid_value' })],
      ]),
    );
    expect(letters.every((l) => l.originalStream === 'RUNLOG_INGEST')).toBe(true);
    const after = await fx.counts();
    expect(after.engine).toBe(before.engine);
    expect(after.completion).toBe(before.completion);

    // Work queue: everything was settled (routed or parked), nothing is left or pending.
    const ingest = await waitFor(
      'an empty RUNLOG_INGEST',
      async () => {
        const info = await fx.jsm.streams.info('RUNLOG_INGEST');
        return info.state.messages === 0 ? info : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(ingest.state.messages).toBe(0);
  });

  it('dedupes with HTTP by id: the same event through both doors is stored once', async () => {
    const sent = event('pipeline', 'transition', { node_id: uniqueName('node') });
    const answer = await fx.post(sent);
    expect(answer.status).toBe(202);
    const before = await fx.counts();
    await js.publish(`ingest.pipeline.${String(sent.data['node_id'])}`, JSON.stringify(sent));
    await waitFor(
      'the ingress message to be routed',
      async () => {
        const info = await fx.jsm.streams.info('RUNLOG_INGEST');
        return info.state.messages === 0 ? info : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    expect((await fx.counts()).pipeline).toBe(before.pipeline);
  });
});
