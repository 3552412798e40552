import { Bus, isBusError } from '@runlog/bus';
import { streamName } from '@runlog/contracts';
import { uniqueName } from '@runlog/testing';
import { type BusFixture, startBus, traceEvents, typedEvent } from './bus-fixtures';

describe('bus publisher and provisioning', () => {
  let fx: BusFixture;
  beforeAll(async () => {
    fx = await startBus();
  });
  afterAll(async () => fx?.close());

  it('provisions every family stream with the design settings, idempotently and concurrently', async () => {
    const again = await Promise.all([fx.connect(), fx.connect(), fx.bus.provision()]);
    expect(again).toHaveLength(3);
    const trace = await fx.bus.manager.streams.info(streamName('trace'));
    expect(trace.config.subjects).toEqual(['events.trace.>']);
    expect(trace.config.storage).toBe('file');
    expect(trace.config.retention).toBe('limits');
    expect(trace.config.duplicate_window).toBeGreaterThanOrEqual(120 * 1e9);
    expect((await fx.bus.manager.streams.info(streamName('agent'))).config.retention).toBe(
      'workqueue',
    );
    expect((await fx.bus.manager.streams.info('RUNLOG_DEADLETTER')).config.subjects).toEqual([
      'deadletter.>',
      'redrive.>',
    ]);
  });

  it('updates max_age from config on an existing stream', async () => {
    const bus = await Bus.connect({
      servers: [fx.server.url],
      name: uniqueName('b'),
      streams: { replicas: 1, maxAgeMs: { trace: 7 * 86_400_000 } },
    });
    try {
      expect((await bus.manager.streams.info('RUNLOG_TRACE')).config.max_age).toBe(
        7 * 86_400_000 * 1e6,
      );
    } finally {
      await fx.bus.provision(); // back to forever for the other tests
      await bus.close();
    }
  });

  it('publishes with the event id as msgID and answers the first cursor for a duplicate', async () => {
    const event = typedEvent('lease_history', 'acquired');
    const first = await fx.bus.publish(event);
    expect(first.stream).toBe('RUNLOG_LEASE_HISTORY');
    expect(first.cursor).toMatch(/^\d+$/);
    expect(first.duplicate).toBe(false);
    const second = await fx.bus.publish(event);
    expect(second).toEqual({ ...first, duplicate: true });
    const stored = await fx.bus.manager.streams.getMessage('RUNLOG_LEASE_HISTORY', {
      seq: Number(first.cursor),
    });
    expect(stored?.subject).toBe('events.lease_history.exec-1');
    expect(stored?.header.get('Nats-Msg-Id')).toBe(event.id);
    expect(stored?.header.get('ce-type')).toBe('runlog.lease_history.acquired');
    expect(stored?.json<{ id: string; data: unknown }>()).toMatchObject({
      id: event.id,
      data: event.data,
    });
  });

  it('pipelines publishMany and answers per event in input order', async () => {
    const events = traceEvents(2_000, uniqueName('req'));
    const duplicate = events[10]!;
    const results = await fx.bus.publishMany([...events, duplicate]);
    expect(results).toHaveLength(2_001);
    const cursors = results.slice(0, 2_000).map((r) => (r.ok ? Number(r.value.cursor) : NaN));
    expect(cursors.every((c, i) => i === 0 || c === cursors[i - 1]! + 1)).toBe(true);
    expect(results[2_000]).toEqual({
      ok: true,
      value: { stream: 'RUNLOG_TRACE', cursor: String(cursors[10]), duplicate: true },
    });
  });

  it('answers every event of a large publishMany once the connection is closed, in order', async () => {
    const bus = await fx.connect();
    await bus.close();
    // Each publish fails at once, inside publishMany's own loop: 20,000 of them must not
    // recurse (a stack overflow would reject the promise instead of answering).
    const results = await bus.publishMany(traceEvents(20_000, uniqueName('req')));
    expect(results).toHaveLength(20_000);
    expect(results.every((r) => !r.ok && r.error.code === 'connection_closed')).toBe(true);
  });

  it('fails with a typed no_stream error when no stream captures the subject', async () => {
    const bare = await Bus.connect(
      { servers: [fx.server.url], name: uniqueName('b'), streams: { replicas: 1, maxAgeMs: {} } },
      { provision: false },
    );
    try {
      await fx.bus.manager.streams.delete('RUNLOG_PIPELINE');
      const error: unknown = await bare
        .publish(typedEvent('pipeline', 'gap'))
        .catch((e: unknown) => e);
      expect(isBusError(error, 'no_stream')).toBe(true);
      const many = await bare.publishMany([
        typedEvent('pipeline', 'gap'),
        typedEvent('pipeline', 'transition'),
      ]);
      expect(many.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['no_stream', 'no_stream']);
    } finally {
      await fx.bus.provision();
      await bare.close();
    }
  });
});
