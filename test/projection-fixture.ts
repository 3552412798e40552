// What the tests of a SQL-projecting service (lease-history, trace-store) share: a NATS
// server of its own (their durables have fixed names), a database of the given kind, the
// service as `npm start` runs it, hand-built projector instances, and a way to wait until
// every event was handled.
import { Bus } from '@runlog/bus';
import { type DeliveredEvent, type Family, type RunlogEvent } from '@runlog/contracts';
import {
  consumerBacklog,
  loadConfig,
  type RunlogConfig,
  type RunningServices,
  type ServiceDefinition,
  startServices,
} from '@runlog/platform';
import { migrateToLatest, openStore, type Store, storeTarget } from '@runlog/store';
import {
  createTestDatabase,
  startNats,
  type NatsServerHandle,
  uniqueName,
  waitFor,
} from '@runlog/testing';
import { type Kysely, type Migration } from 'kysely';

export interface ProjectionFixtureOptions {
  readonly kind: 'pglite' | 'postgres';
  readonly service: ServiceDefinition;
  /** The service's port variable (set to 0: any free port). */
  readonly portVariable: string;
  /** The service's store directory name and SQL schema, with its migrations. */
  readonly storeName: string;
  readonly schema: string;
  readonly migrations: Readonly<Record<string, Migration>>;
  /** The streams its durable reads, and the durable's name. */
  readonly streams: readonly string[];
  readonly durable: string;
  /** More configuration variables for the service (DESIGN.md §6). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ProjectionFixture<DB> {
  readonly kind: 'pglite' | 'postgres';
  readonly server: NatsServerHandle;
  readonly bus: Bus;
  readonly config: RunlogConfig;
  /** The service as `npm start` runs it; `url` is its HTTP address. */
  service(): Promise<RunningServices & { url: string }>;
  /** A new connection (a projector's own), closed with the fixture. */
  connect(): Promise<Bus>;
  /** The migrated store (PGlite: one shared instance; PostgreSQL: a pool per call). */
  store(): Promise<Store<DB>>;
  /** Registers a cleanup run at close, most recent first. */
  onClose(close: () => Promise<void>): void;
  publish<F extends Family>(events: readonly RunlogEvent<F>[]): Promise<DeliveredEvent<F>[]>;
  /** Resolves when the durables have nothing pending or in flight; fails on a dead letter. */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startProjectionFixture<DB>(
  options: ProjectionFixtureOptions,
): Promise<ProjectionFixture<DB>> {
  const server = await startNats({ dedicated: true });
  const database = await createTestDatabase(options.kind);
  const config = loadConfig({
    NATS_URL: server.url,
    [options.portVariable]: '0',
    RUNLOG_HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
    ...(database.kind === 'postgres'
      ? { DATABASE_URL: database.url }
      : { RUNLOG_DATA_DIR: database.dataDir }),
  });
  const connect = () =>
    Bus.connect({
      servers: [server.url],
      name: uniqueName(options.storeName),
      streams: { replicas: 1, maxAgeMs: {} },
    });
  const bus = await connect();
  const closers: Array<() => Promise<void>> = [];
  let shared: Store<DB> | undefined;

  return {
    kind: options.kind,
    server,
    bus,
    config,
    service: async () => {
      const services = await startServices([options.service], config);
      closers.push(() => services.close());
      return { ...services, url: services.apps[0]!.url };
    },
    connect: async () => {
      const own = await connect();
      closers.push(() => own.close());
      return own;
    },
    store: async () => {
      const target = storeTarget(config.databaseUrl, config.dataDir, options.storeName);
      // PGlite is one process's embedded database: every projector in a test shares it.
      if (target.kind === 'pglite' && shared) return shared;
      const opened = await openStore<DB>(target);
      closers.push(() => opened.close());
      await migrateToLatest(opened.db as Kysely<unknown>, options.schema, options.migrations);
      if (target.kind === 'pglite') shared = opened;
      return opened;
    },
    onClose: (close) => closers.push(close),
    publish: async <F extends Family>(events: readonly RunlogEvent<F>[]) => {
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
        `${options.durable} durables with nothing pending or in flight`,
        async () => {
          for (const stream of options.streams) {
            const backlog = await consumerBacklog(bus, stream, options.durable);
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
      const letters = await bus.deadLetters.list(options.durable);
      if (letters.length > 0)
        throw new Error(
          `dead letters of ${options.durable}: ${letters.map((l) => l.reason).join('; ')}`,
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

/** GET a JSON body (and its status). */
export async function getJson<T = unknown>(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}
