// The four services in one process, as `npm start` runs them, on a NATS server and a store
// of the fixture's own, each on a free loopback port: the fixture of the specs that look at
// every service at once (OpenAPI coverage and lint, the auth table, fuzzing).
import {
  loadConfig,
  type RunlogConfig,
  type RunningServices,
  startServices,
} from '@runlog/platform';
import {
  createTestDatabase,
  type NatsServerHandle,
  startNats,
  type TestDatabase,
} from '@runlog/testing';
import { ingestService } from '../../apps/ingest/src/ingest.service-definition';
import { leaseHistoryService } from '../../apps/lease-history/src/lease-history.service-definition';
import { normalizerService } from '../../apps/normalizer/src/normalizer.service-definition';
import { traceStoreService } from '../../apps/trace-store/src/trace-store.service-definition';
import { type Closable, withFixture } from '../use-fixture';

export type ServiceName = 'ingest' | 'normalizer' | 'lease-history' | 'trace-store';

export interface AllServices extends Closable {
  readonly nats: NatsServerHandle;
  readonly database: TestDatabase;
  readonly config: RunlogConfig;
  readonly services: RunningServices;
  /** The service's base URL on 127.0.0.1. */
  url(name: ServiceName): string;
}

/**
 * Starts a dedicated NATS server, a store (PGlite unless `kind` says otherwise) and the
 * four services with `env` over the defaults (free ports, loopback, silent logs).
 */
export async function startAllServices(
  env: Record<string, string> = {},
  kind: 'pglite' | 'postgres' = 'pglite',
): Promise<AllServices> {
  const nats = await startNats({ dedicated: true });
  const database = await createTestDatabase(kind).catch(async (error: unknown) => {
    await nats.stop();
    throw error;
  });
  const stopServers = async () => {
    await nats.stop();
    await database.drop();
  };
  const config = loadConfig({
    NATS_URL: nats.url,
    INGEST_PORT: '0',
    OTLP_HTTP_PORT: 'off',
    LEASE_HISTORY_PORT: '0',
    TRACE_STORE_PORT: '0',
    NORMALIZER_PORT: '0',
    RUNLOG_HTTP_HOST: '127.0.0.1',
    ...(database.kind === 'pglite'
      ? { RUNLOG_DATA_DIR: database.dataDir }
      : { DATABASE_URL: database.url }),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const services = await startServices(
    [ingestService, normalizerService, leaseHistoryService, traceStoreService],
    config,
  ).catch(async (error: unknown) => {
    await stopServers();
    throw error;
  });
  const urls = new Map(
    services.apps.map(({ name, url }) => [name, url.replace('[::1]', '127.0.0.1')]),
  );
  return {
    nats,
    database,
    config,
    services,
    url: (name) => {
      const url = urls.get(name);
      if (url === undefined) throw new Error(`no service ${name} is running`);
      return url;
    },
    close: async () => {
      await services.close().catch(() => undefined);
      await stopServers();
    },
  };
}

/** In a describe: {@link startAllServices} once before its tests, closed after. */
export function withAllServices(
  env: Record<string, string>,
  use: (fx: AllServices) => unknown,
): void {
  withFixture(() => startAllServices(env), use, { once: true });
}
