import { Bus, PromBusMetrics } from '@runlog/bus';
import {
  type DeliveredEvent,
  DURABLES,
  type KindOf,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { consumerBacklog, loadConfig, type RunningServices, startServices } from '@runlog/platform';
import { startNats, type NatsServerHandle, uniqueName, waitFor } from '@runlog/testing';
import { Registry } from 'prom-client';
import {
  NormalizerConsumer,
  type NormalizerConsumerOptions,
} from '../../apps/normalizer/src/consumer/normalizer.consumer';
import { NormalizerMetrics } from '../../apps/normalizer/src/consumer/normalizer-metrics';
import {
  type DurabilityMode,
  mapAgentEvent,
  type RunState,
} from '../../apps/normalizer/src/mapping';
import { normalizerService } from '../../apps/normalizer/src/normalizer.service-definition';
import { typedEvent } from '../bus/bus-fixtures';

const AGENT = streamName('agent');

/** A normalizer replica built by hand (no Nest app): its own connection, metrics and options. */
export interface Replica {
  readonly bus: Bus;
  readonly registry: Registry;
  /** Stops pulling and closes the connection (in-flight work gets `stopTimeoutMs`). */
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  readonly mode?: DurabilityMode;
  readonly consumer?: NormalizerConsumerOptions;
  /** Replaces the bus the consumer sees (fault injection); the replica still owns `bus`. */
  readonly wrap?: (bus: Bus) => Bus;
}

/**
 * A NATS server of its own (the normalizer's durable and KV bucket have fixed names), a
 * test bus on it, and ways to run normalizer replicas, feed them, and read what they wrote.
 */
export interface NormalizerFixture {
  readonly server: NatsServerHandle;
  readonly bus: Bus;
  /** The normalizer service as `npm start` runs it (Nest app, /metrics, /health). */
  service(mode: DurabilityMode): Promise<RunningServices>;
  replica(options?: ReplicaOptions): Promise<Replica>;
  /** Publishes raw events in order; resolves to them as delivered (with their cursors). */
  publish(events: readonly RunlogEvent<'agent'>[]): Promise<DeliveredEvent<'agent'>[]>;
  /** Resolves when every raw event is acked (the work-queue stream is empty) and none is in flight. */
  settled(timeoutMs?: number): Promise<void>;
  /** The canonical events of a run, in stream order (replayed up to caught-up). */
  canonical(thread: string, run: string): Promise<RunlogEvent<'canonical'>[]>;
  close(): Promise<void>;
}

export async function startNormalizerFixture(): Promise<NormalizerFixture> {
  const server = await startNats({ dedicated: true });
  const connect = (registry?: Registry) =>
    Bus.connect({
      servers: [server.url],
      name: uniqueName('normalizer-test'),
      streams: { replicas: 1, maxAgeMs: {} },
      ...(registry ? { metrics: new PromBusMetrics(registry) } : {}),
    });
  const bus = await connect();
  const config = (mode: DurabilityMode) =>
    loadConfig({
      NATS_URL: server.url,
      NORMALIZER_PORT: '0',
      RUNLOG_HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      NORMALIZER_DURABILITY: mode,
    });
  const closers: Array<() => Promise<void>> = [];

  return {
    server,
    bus,
    service: async (mode) => {
      const services = await startServices([normalizerService], config(mode));
      closers.push(() => services.close());
      return services;
    },
    replica: async ({ mode = 'full_fidelity', consumer: options, wrap } = {}) => {
      const registry = new Registry();
      const own = await connect(registry);
      const metrics = new NormalizerMetrics(registry, mode, () =>
        consumerBacklog(own, AGENT, DURABLES.normalizer),
      );
      const consumer = new NormalizerConsumer(
        wrap ? wrap(own) : own,
        config(mode),
        metrics,
        options,
      );
      await consumer.onApplicationBootstrap();
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          await consumer.onModuleDestroy();
          await own.close().catch(() => undefined);
        })());
      closers.push(stop);
      return { bus: own, registry, stop };
    },
    publish: async (events) => {
      const delivered: DeliveredEvent<'agent'>[] = [];
      for (const event of events) {
        const { cursor } = await bus.publish(event);
        delivered.push({ ...event, cursor });
      }
      return delivered;
    },
    settled: async (timeoutMs = 30_000) => {
      await waitFor(
        'every raw agent event acked by the normalizer',
        async () => {
          const stream = await bus.manager.streams.info(AGENT);
          const backlog = await consumerBacklog(bus, AGENT, DURABLES.normalizer);
          const idle = stream.state.messages === 0 && backlog.pending + backlog.inFlight === 0;
          return idle ? true : undefined;
        },
        { timeoutMs, intervalMs: 50 },
      );
    },
    canonical: async (thread, run) => {
      const events: RunlogEvent<'canonical'>[] = [];
      const abort = new AbortController();
      for await (const item of bus.subscribe('canonical', {
        key: [thread, run],
        signal: abort.signal,
      })) {
        if (item.type === 'caught_up') abort.abort();
        else if (item.type === 'event') events.push(item.event);
      }
      return events;
    },
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      await bus.close();
      await server.stop();
    },
  };
}

/** A raw agent event of one run with a unique id. */
export function agent(
  kind: KindOf<'agent'>,
  thread: string,
  run: string,
  extra: Record<string, unknown> = {},
): RunlogEvent<'agent'> {
  return typedEvent('agent', kind, uniqueName(kind), { thread_id: thread, run_id: run, ...extra });
}

const done = (outcome: string, result: Record<string, unknown>) => ({
  call_id: 'call-1',
  outcome,
  result: { status: 'ok', metadata: {}, ...result },
});

/**
 * A run that crosses every kind of decision: start, observed deltas, a rejected call, a
 * suspension asking permission (two facts), a suspended finish, a resume, a committed
 * call, a terminal finish, and a second finish that does not count.
 */
export function scriptedRun(thread: string, run: string): RunlogEvent<'agent'>[] {
  const a = (kind: KindOf<'agent'>, extra?: Record<string, unknown>) =>
    agent(kind, thread, run, extra);
  return [
    a('run_start'),
    a('text_delta'),
    a('tool_call_start'),
    a('tool_call_done', done('failed', { metadata: { rejected: 'policy' } })),
    a(
      'tool_call_done',
      done('suspended', {
        status: 'pending',
        suspension: { resume_mode: 'replay_tool_call', suspension: { id: 'perm-1' } },
      }),
    ),
    a('run_finish', { termination: 'suspended' }),
    a('run_start'),
    a('reasoning_delta'),
    a('tool_call_ready'),
    a('tool_call_done', done('succeeded', {})),
    a('run_finish', { termination: 'natural_end' }),
    a('run_finish', { termination: 'error' }),
  ];
}

/** `kind@msgId` of each canonical event the pure mapping gives for one run's events, in order. */
export function expectedCanonical(
  delivered: readonly DeliveredEvent<'agent'>[],
  mode: DurabilityMode,
): string[] {
  let state: RunState | undefined;
  return delivered.flatMap((event) => {
    const mapped = mapAgentEvent({ event, state, mode });
    state = mapped.state;
    return mapped.canonical.map((c) => `${c.event.kind}@${c.msgId}`);
  });
}

/** `kind@id` of canonical events, comparable with {@link expectedCanonical}. */
export const described = (events: readonly RunlogEvent<'canonical'>[]): string[] =>
  events.map((event) => `${event.kind}@${event.id}`);

/** The sum of a metric's samples whose labels include `labels` (0 when there are none). */
export async function sample(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * `bus` with `publishMany` replaced (fault injection); every other member is the bus's own.
 * `publishMany` receives the real one to call or not.
 */
export function withPublishMany(
  bus: Bus,
  publishMany: (
    real: Bus['publishMany'],
    events: readonly RunlogEvent[],
  ) => ReturnType<Bus['publishMany']>,
): Bus {
  const real: Bus['publishMany'] = (events) => bus.publishMany(events);
  return new Proxy(bus, {
    get(target, property) {
      if (property === 'publishMany')
        return (events: readonly RunlogEvent[]) => publishMany(real, events);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
