import { Bus } from '@runlog/bus';
import {
  type DeliveredEvent,
  DURABLES,
  type KindOf,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import {
  consumerBacklog,
  loadConfig,
  type RunlogConfig,
  type RunningServices,
  startServices,
} from '@runlog/platform';
import { migrateToLatest, openStore, type Store, storeTarget } from '@runlog/store';
import { type Kysely } from 'kysely';
import {
  createTestDatabase,
  startNats,
  type NatsServerHandle,
  type TestDatabase,
  uniqueName,
  waitFor,
} from '@runlog/testing';
import { Registry } from 'prom-client';
import { leaseHistoryService } from '../../apps/lease-history/src/lease-history.service-definition';
import { LeaseMetrics } from '../../apps/lease-history/src/projection/lease-metrics';
import {
  LeaseProjectionConsumer,
  type LeaseProjectionOptions,
} from '../../apps/lease-history/src/projection/lease-projection.consumer';
import {
  type LeaseEventRow,
  leaseView,
  type LeaseView,
} from '../../apps/lease-history/src/projection/lease-state';
import {
  type LeaseHistoryDb,
  MIGRATIONS,
  SCHEMA,
} from '../../apps/lease-history/src/store/lease-history.schema';
import { typedEvent } from '../bus/bus-fixtures';

const PROJECTED = [streamName('lease_history'), streamName('completion')] as const;

/** A projection instance built by hand (no Nest app): its own connection and metrics. */
export interface Projector {
  readonly registry: Registry;
  stop(): Promise<void>;
}

/**
 * A NATS server of its own (the durables have fixed names), a database of the given kind,
 * a test bus, and ways to run lease-history and read what it answers.
 */
export interface LeaseFixture {
  readonly kind: 'pglite' | 'postgres';
  readonly server: NatsServerHandle;
  readonly bus: Bus;
  readonly config: RunlogConfig;
  /** The service as `npm start` runs it; `url` is its HTTP address. */
  service(): Promise<RunningServices & { url: string }>;
  /** A projection instance on the fixture's store (PGlite: shared; PostgreSQL: its own pool). */
  projector(
    options?: LeaseProjectionOptions,
    metrics?: (registry: Registry) => LeaseMetrics,
  ): Promise<Projector>;
  publish<F extends 'lease_history' | 'completion'>(
    events: readonly RunlogEvent<F>[],
  ): Promise<DeliveredEvent<F>[]>;
  /** Resolves when both durables have nothing pending or in flight. */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLeaseFixture(kind: 'pglite' | 'postgres'): Promise<LeaseFixture> {
  const server = await startNats({ dedicated: true });
  const database: TestDatabase = await createTestDatabase(kind);
  const config = loadConfig({
    NATS_URL: server.url,
    LEASE_HISTORY_PORT: '0',
    RUNLOG_HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(database.kind === 'postgres'
      ? { DATABASE_URL: database.url }
      : { RUNLOG_DATA_DIR: database.dataDir }),
  });
  const bus = await Bus.connect({
    servers: [server.url],
    name: uniqueName('lease-test'),
    streams: { replicas: 1, maxAgeMs: {} },
  });
  const closers: Array<() => Promise<void>> = [];
  let shared: Store<LeaseHistoryDb> | undefined;
  const store = async (): Promise<Store<LeaseHistoryDb>> => {
    const target = storeTarget(config.databaseUrl, config.dataDir, 'lease-history');
    // PGlite is one process's embedded database: every projector in the test shares it.
    if (target.kind === 'pglite' && shared) return shared;
    const opened = await openStore<LeaseHistoryDb>(target);
    closers.push(() => opened.close());
    await migrateToLatest(opened.db as Kysely<unknown>, SCHEMA, MIGRATIONS);
    if (target.kind === 'pglite') shared = opened;
    return opened;
  };

  return {
    kind,
    server,
    bus,
    config,
    service: async () => {
      const services = await startServices([leaseHistoryService], config);
      closers.push(() => services.close());
      return { ...services, url: services.apps[0]!.url };
    },
    projector: async (options = {}, metrics) => {
      const registry = new Registry();
      const own = await Bus.connect({
        servers: [server.url],
        name: uniqueName('projector'),
        streams: { replicas: 1, maxAgeMs: {} },
      });
      const leaseMetrics =
        metrics?.(registry) ??
        new LeaseMetrics(registry, () => Promise.resolve({ pending: 0, inFlight: 0 }));
      const consumer = new LeaseProjectionConsumer(own, await store(), leaseMetrics, options);
      await consumer.onApplicationBootstrap();
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          await consumer.onModuleDestroy();
          await own.close();
        })());
      closers.push(stop);
      return { registry, stop };
    },
    publish: async <F extends 'lease_history' | 'completion'>(
      events: readonly RunlogEvent<F>[],
    ) => {
      const delivered: DeliveredEvent<F>[] = [];
      for (const event of events) {
        const { cursor } = await bus.publish(event);
        delivered.push({ ...event, cursor });
      }
      return delivered;
    },
    settled: async (timeoutMs = 20_000) => {
      let lastSeen = '';
      await waitFor(
        'lease-history durables with nothing pending or in flight',
        async () => {
          for (const stream of PROJECTED) {
            const backlog = await consumerBacklog(bus, stream, DURABLES.leaseHistory);
            if (backlog.pending + backlog.inFlight > 0) {
              lastSeen = `${stream}: ${JSON.stringify(backlog)}`;
              return undefined;
            }
          }
          return true;
        },
        { timeoutMs, intervalMs: 25 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)} (last seen ${lastSeen})`);
      });
      // Settled means handled: a dead letter here is a failure the test must see.
      const letters = await bus.deadLetters.list(DURABLES.leaseHistory);
      if (letters.length > 0)
        throw new Error(
          `dead letters of lease-history: ${letters.map((l) => l.reason).join('; ')}`,
        );
    },
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      await bus.close();
      await server.stop();
      await database.drop();
    },
  };
}

/** Lease events of one execution, built through the contract. */
export function leaseEvent(
  kind: KindOf<'lease_history'>,
  executionId: string,
  at: string,
  extra: Record<string, unknown> = {},
): RunlogEvent<'lease_history'> {
  return typedEvent('lease_history', kind, uniqueName(kind), {
    execution_id: executionId,
    at,
    ...extra,
  });
}

export function completed(
  executionId: string,
  outcome: string,
  at: string,
): RunlogEvent<'completion'> {
  return typedEvent('completion', 'completed', uniqueName('completed'), {
    execution_id: executionId,
    outcome,
    at,
  });
}

/** The instant `seconds` after a fixed start, RFC 3339. */
export const t = (seconds: number): string =>
  new Date(Date.UTC(2026, 10, 23, 9) + seconds * 1000).toISOString();

/** The lease view the pure state machine gives for these delivered events: the reference. */
export function expectedView(
  executionId: string,
  leases: readonly DeliveredEvent<'lease_history'>[],
  completions: readonly DeliveredEvent<'completion'>[] = [],
): LeaseView | undefined {
  return leaseView(
    executionId,
    leases
      .filter((e) => e.data.execution_id === executionId)
      .map((e): LeaseEventRow => ({ seq: Number(e.cursor), kind: e.kind, data: e.data })),
    completions
      .filter((e) => e.data.execution_id === executionId)
      .map((e) => ({ seq: Number(e.cursor), data: e.data })),
  );
}

/** GET a JSON body (and its status) from the service. */
export async function getJson<T = unknown>(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}
