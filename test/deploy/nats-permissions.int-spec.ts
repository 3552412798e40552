// deploy/nats/nats.conf on a real nats-server: who may publish and subscribe where.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/transport-node';
import { Bus, type BusOptions } from '@runlog/bus';
import { DEADLETTER_STREAM, DURABLES, INGEST_STREAM, streamName } from '@runlog/contracts';
import { busOptionsFromConfig, loadConfig } from '@runlog/platform';
import { waitFor } from '@runlog/testing';
import { Recorder, typedEvent } from '../bus/bus-fixtures';
import {
  generatedPassword,
  NATS_USERS,
  type NatsUser,
  passwordVariable,
  type PermissionedNats,
  startPermissionedNats,
} from './permissioned-nats';

const PUBACK_TIMEOUT_MS = 2_000;

describe('NATS permissions of deploy/nats/nats.conf', () => {
  let nats: PermissionedNats;
  const open: Array<{ close(): Promise<unknown> }> = [];

  /** A bus as a service connects it: the user's NATS_USER/NATS_PASS through loadConfig. */
  async function busAs(user: NatsUser, provision = false): Promise<Bus> {
    const options: BusOptions = busOptionsFromConfig(loadConfig(nats.env(user)), user);
    const bus = await Bus.connect(options, { provision });
    open.push(bus);
    return bus;
  }

  async function connectAs(user: NatsUser): Promise<NatsConnection> {
    const nc = await nats.connect(user);
    open.push(nc);
    return nc;
  }

  /** A JetStream publish as `user`: the stream of its PubAck, or the error. */
  async function publishAs(user: NatsUser, subject: string): Promise<string> {
    const js = jetstream(await connectAs(user));
    return js.publish(subject, 'x', { timeout: PUBACK_TIMEOUT_MS }).then(
      (ack) => ack.stream,
      (error: unknown) => `error: ${String(error)}`,
    );
  }

  /** How many messages a stream holds, asked as admin. */
  async function messages(stream: string): Promise<number> {
    const jsm = await jetstreamManager(await connectAs('admin'));
    return (await jsm.streams.info(stream)).state.messages;
  }

  beforeAll(async () => {
    nats = await startPermissionedNats();
    // ingest provisions the streams (as it does at start): it alone may create them.
    await busAs('ingest', true);
  });

  afterAll(async () => {
    for (const item of open.splice(0).reverse()) await item.close().catch(() => undefined);
    await nats?.stop();
  });

  it('refuses a connection without a password or with a wrong one', async () => {
    const { connect } = await import('@nats-io/transport-node');
    await expect(connect({ servers: nats.url })).rejects.toThrow(/Authorization/i);
    await expect(
      connect({ servers: nats.url, user: 'ingest', pass: 'not-the-password' }),
    ).rejects.toThrow(/Authorization/i);
  });

  it('a producer cannot publish to events.> (no PubAck, nothing stored) but can to ingest.> and gets its PubAck', async () => {
    const before = await messages(streamName('trace'));
    expect(await publishAs('producer', 'events.trace.x')).toMatch(
      /^error: .*(Permissions|timeout)/i,
    );
    expect(await messages(streamName('trace'))).toBe(before);
    expect(nats.violations().join('\n')).toMatch(
      /Publish Violation - User "producer", Subject "events\.trace\.x"/,
    );
    expect(await publishAs('producer', 'ingest.trace.x')).toBe(INGEST_STREAM);
  });

  it('a producer cannot read the family streams or the live subjects', async () => {
    const nc = await connectAs('producer');
    const errors = new Recorder<string>();
    void (async () => {
      for await (const status of nc.status())
        if (status.type === 'error') errors.push(String(status.error));
    })();
    nc.subscribe('live.>');
    await expect(jetstreamManager(nc)).rejects.toThrow(/Permissions|timeout/i);
    await errors.until(
      (items) => items.some((e) => /Permissions Violation for Subscription to "live\.>"/.test(e)),
      'the subscribe violation',
    );
  });

  it("no user can read another's replies: a producer may subscribe to its own inbox prefix only", async () => {
    // Replies carry PubAcks, JetStream API answers and the messages a pull delivers: a
    // producer subscribed to `_INBOX.>` would read every event the services consume.
    const nc = await connectAs('producer');
    const errors = new Recorder<string>();
    void (async () => {
      for await (const status of nc.status())
        if (status.type === 'error') errors.push(String(status.error));
    })();
    nc.subscribe('_INBOX.>');
    nc.subscribe('_INBOX_trace-store.>');
    await errors.until(
      (items) =>
        items.some((e) => /Permissions Violation for Subscription to "_INBOX\.>"/.test(e)) &&
        items.some((e) =>
          /Permissions Violation for Subscription to "_INBOX_trace-store\.>"/.test(e),
        ),
      'both subscribe violations',
    );
    // Its own prefix works: a publish to the async ingress gets its PubAck there.
    expect(await publishAs('producer', 'ingest.trace.x')).toBe(INGEST_STREAM);
    // A service connected as loadConfig does uses `_INBOX_<NATS_USER>` and still pulls.
    expect(loadConfig(nats.env('trace-store')).nats.inboxPrefix).toBe('_INBOX_trace-store');
    const bus = await busAs('trace-store');
    const info = await bus.manager.streams.info(streamName('trace'));
    expect(info.config.name).toBe(streamName('trace'));
  });

  it('ingest may publish to every family stream, and to live.engine.>', async () => {
    expect(await publishAs('ingest', 'events.trace.x')).toBe(streamName('trace'));
    expect(await publishAs('ingest', 'events.engine.qwen3')).toBe(streamName('engine'));
    const admin = await connectAs('admin');
    const live = admin.subscribe('live.engine.>', { max: 1 });
    await admin.flush();
    const ingest = await connectAs('ingest');
    ingest.publish('live.engine.qwen3', 'ready');
    for await (const message of live) expect(message.subject).toBe('live.engine.qwen3');
    const normalizer = await connectAs('normalizer');
    normalizer.publish('live.engine.forged', 'x');
    await normalizer.flush();
    await waitFor(
      'the violation',
      () =>
        nats.violations().some((line) => line.includes('Subject "live.engine.forged"')) ||
        undefined,
    );
  });

  it('the normalizer may publish events.canonical.> but no other family', async () => {
    expect(await publishAs('normalizer', 'events.canonical.t.r')).toBe(streamName('canonical'));
    expect(await publishAs('normalizer', 'events.trace.y')).toMatch(/^error: /);
    expect(await publishAs('normalizer', 'events.agent.t.r')).toMatch(/^error: /);
  });

  it.each<NatsUser>(['trace-store', 'lease-history', 'normalizer'])(
    '%s may neither create, update nor delete a runlog stream',
    async (user) => {
      const jsm = await jetstreamManager(await connectAs(user));
      await expect(
        jsm.streams.add({ name: `EVIL_${user.replace('-', '_')}`, subjects: ['evil.>'] }),
      ).rejects.toThrow(/Permissions|timeout/i);
      const trace = (await jsm.streams.info(streamName('trace'))).config;
      await expect(jsm.streams.update(trace.name, { ...trace, max_msgs: 1 })).rejects.toThrow(
        /Permissions|timeout/i,
      );
      await expect(jsm.streams.delete(streamName('trace'))).rejects.toThrow(/Permissions|timeout/i);
      expect(await messages(streamName('trace'))).toBeGreaterThan(0);
    },
  );

  it('trace-store pulls and acks its durable (a real DurableConsumer) but cannot publish events.>', async () => {
    const bus = await busAs('trace-store'); // checks every stream at start, as the service does
    const seen = new Recorder<string>();
    const event = typedEvent('trace', 'op_start');
    const ingest = await busAs('ingest');
    await ingest.publish(event);
    const running = await bus.consume({
      durable: DURABLES.traceStore,
      family: 'trace',
      handler: {
        mode: 'event',
        handle: (delivered) => {
          seen.push(delivered.id);
          return Promise.resolve();
        },
      },
    });
    open.push({ close: () => running.stop() });
    await seen.until((ids) => ids.includes(event.id), 'the event at trace-store');
    await waitFor('the ack of trace-store', async () => {
      const info = await bus.manager.consumers.info(streamName('trace'), DURABLES.traceStore);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? true : undefined;
    });
    // What it cannot handle it parks in its own dead letters.
    expect(await publishAs('ingest', 'events.trace.not-json')).toBe(streamName('trace'));
    const jsm = await jetstreamManager(await connectAs('admin'));
    const letter = await waitFor('the dead letter of trace-store', () =>
      jsm.streams
        .getMessage(DEADLETTER_STREAM, { last_by_subj: 'deadletter.trace-store.trace' })
        .then((message) => message ?? undefined),
    );
    expect(letter.subject).toBe('deadletter.trace-store.trace');
    expect(await publishAs('trace-store', 'events.trace.z')).toMatch(/^error: /);
    expect(await publishAs('trace-store', 'deadletter.lease-history.lease_history')).toMatch(
      /^error: /,
    );
    // Another service's durable is not its own.
    await expect(
      bus.manager.consumers.info(streamName('lease_history'), DURABLES.leaseHistory),
    ).rejects.toThrow(/Permissions|timeout/i);
  });
});

describe('the passwords of .env.example', () => {
  const example = Object.fromEntries(
    readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );

  it('start nats-server with the shipped config, and each user logs in with its own', async () => {
    const nats = await startPermissionedNats((user) => example[passwordVariable(user)]!);
    try {
      for (const user of NATS_USERS) {
        const nc = await nats.connect(user);
        await nc.close();
      }
    } finally {
      await nats.stop();
    }
  });

  it('must start with a letter: nats-server refuses one it reads as a number', async () => {
    // Some digit-first values pass, others read as a number: the letter rule avoids both.
    for (const password of ['123456789012345678901234', `8e5${generatedPassword().slice(1)}`]) {
      await expect(startPermissionedNats(() => password)).rejects.toThrow(
        /NATS_ADMIN_PASS.*could not be parsed|is int64, not string/,
      );
    }
  });
});
