import { headers as natsHeaders } from '@nats-io/transport-node';
import { Bus } from '@runlog/bus';
import {
  type DeliveredEvent,
  exampleEvent,
  type KindOf,
  type RunlogEvent,
} from '@runlog/contracts';
import { loadConfig, type RunningServices, startServices } from '@runlog/platform';
import { startNats, type NatsServerHandle, uniqueName, waitFor } from '@runlog/testing';
import { mapAgentEvent, type RunState } from '../../apps/normalizer/src/mapping';
import { normalizerService } from '../../apps/normalizer/src/normalizer.service-definition';
import { typedEvent } from '../bus/bus-fixtures';

// The normalizer's durable and KV bucket have fixed names: a NATS server of its own.
describe('normalizer on RUNLOG_AGENT', () => {
  let server: NatsServerHandle;
  let services: RunningServices;
  let bus: Bus;
  beforeAll(async () => {
    server = await startNats({ dedicated: true });
    const config = loadConfig({
      NATS_URL: server.url,
      NORMALIZER_PORT: '0',
      RUNLOG_HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      NORMALIZER_DURABILITY: 'full_fidelity',
    });
    services = await startServices([normalizerService], config);
    bus = await Bus.connect({
      servers: [server.url],
      name: 'normalizer-test',
      streams: { replicas: 1, maxAgeMs: {} },
    });
  });
  afterAll(async () => {
    await services?.close();
    await bus?.close();
    await server?.stop();
  }, 30_000);

  const agent = (
    kind: KindOf<'agent'>,
    thread: string,
    run: string,
    extra: Record<string, unknown> = {},
  ) => typedEvent('agent', kind, uniqueName(kind), { thread_id: thread, run_id: run, ...extra });

  it('publishes, in order, exactly the canonical facts the mapping gives, and forwards every raw event live', async () => {
    const [thread, run] = [uniqueName('thread'), uniqueName('run')];
    const live = bus.connection.subscribe(`live.agent.>`);
    const raw: RunlogEvent<'agent'>[] = [
      agent('run_start', thread, run),
      agent('text_delta', thread, run),
      agent('tool_call_start', thread, run),
      agent('run_finish', thread, run),
      agent('run_finish', thread, run), // a second finish: ignored
    ];
    const published: Array<{ cursor: string }> = [];
    for (const event of raw) published.push(await bus.publish(event));

    // What the pure mapping says, applied in order from a new run.
    let state: RunState | undefined;
    const expected: string[] = [];
    raw.forEach((event, i) => {
      const delivered = { ...event, cursor: published[i]!.cursor } as DeliveredEvent<'agent'>;
      const mapped = mapAgentEvent({ event: delivered, state, mode: 'full_fidelity' });
      state = mapped.state;
      expected.push(...mapped.canonical.map((c) => `${c.event.kind}:${c.msgId}`));
    });
    expect(expected.length).toBeGreaterThan(0);

    const seen: string[] = [];
    const abort = new AbortController();
    for await (const item of bus.subscribe('canonical', {
      key: [thread, run],
      signal: abort.signal,
    })) {
      if (item.type !== 'event') continue;
      seen.push(`${item.event.kind}:${item.event.id}`);
      expect(item.event.data.scopes).toEqual([
        { type: 'thread', id: thread },
        { type: 'run', id: run },
      ]);
      expect(published.map((p) => p.cursor)).toContain(item.event.data.source_cursor);
      if (seen.length === expected.length) abort.abort();
    }
    expect(seen).toEqual(expected);

    let forwarded = 0;
    for await (const message of live) {
      if (message.json<{ data: { run_id: string } }>().data.run_id === run) forwarded++;
      if (forwarded === raw.length) break;
    }
    expect(forwarded).toBe(raw.length);
  });

  it('dead-letters an invalid raw event with the reason and goes on', async () => {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', uniqueName('bad'));
    const envelope = exampleEvent('agent', 'text_delta', { id: uniqueName('bad') });
    const bad = { ...envelope, data: { ...(envelope.data as object), thread_id: '  ' } };
    await bus.publisher.publishRaw(
      'events.agent.x.r',
      new TextEncoder().encode(JSON.stringify(bad)),
      h,
    );
    // Dead letters live in a stream with no event to await from here: poll its API.
    const [letter] = await waitFor(
      'a dead letter of the normalizer',
      async () => {
        const letters = await bus.deadLetters.list('normalizer');
        return letters.length > 0 ? letters : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(letter).toMatchObject({ cause: 'decode_failed', family: 'agent' });
    expect(letter!.reason).toContain('data.thread_id');
  });
});
