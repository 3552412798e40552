import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { type FatalHook, ReopeningPGlite, ReopeningPGliteDialect } from './pglite-reopening';
import { StoreUnavailableError } from './store-errors';

/** Where a service keeps its SQL data: PostgreSQL, or an embedded PGlite directory. */
export type StoreTarget =
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize?: number }
  | { readonly kind: 'pglite'; readonly dataDir: string };

/** An open SQL store: one Kysely instance over PostgreSQL or PGlite, same SQL on both. */
export interface Store<DB> {
  readonly kind: StoreTarget['kind'];
  readonly db: Kysely<DB>;
  /** Resolves when the database answers a trivial query; rejects with the reason when it cannot. */
  ping(): Promise<void>;
  /** Why the store can never answer again (a PGlite that trapped and could not be reopened). */
  readonly broken: string | undefined;
  /** How often an embedded store was reopened after a trap (0 on PostgreSQL). */
  readonly reopened: number;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /**
   * Called once when the store is broken for good (a trapped PGlite that cannot be
   * reopened): the service should report unready and exit non-zero so a supervisor
   * restarts it. StoreModule wires one that exits the process.
   */
  readonly onFatal?: FatalHook;
}

/** The target for a runlog config: `DATABASE_URL` when set, else PGlite under `<dataDir>/<name>`. */
export function storeTarget(
  databaseUrl: string | undefined,
  dataDir: string,
  name: string,
): StoreTarget {
  return databaseUrl
    ? { kind: 'postgres', url: databaseUrl }
    : { kind: 'pglite', dataDir: `${dataDir}/${name}` };
}

/** Opens the store; PGlite creates its directory on first use. */
export async function openStore<DB>(
  target: StoreTarget,
  options: OpenStoreOptions = {},
): Promise<Store<DB>> {
  const onFatal = options.onFatal ?? (() => undefined);
  if (target.kind === 'postgres') {
    const pool = new Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
    // An idle client that loses its server emits 'error' on the pool: without a listener
    // that would crash the process. The next query reconnects (or fails transiently).
    pool.on('error', () => undefined);
    // A client checked out of the pool has no listener of pg-pool's, and Kysely adds none:
    // when the server goes away mid-query (a crash, `pg_ctl stop -m immediate`) the client
    // emits 'error' and, unheard, that crashed the process. The query in flight fails
    // with the same error, which the consumer retries as an outage; the pool drops the
    // client when it is released.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return {
      kind: target.kind,
      db,
      broken: undefined,
      reopened: 0,
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => db.destroy(),
    };
  }
  mkdirSync(target.dataDir, { recursive: true });
  const pglite = await ReopeningPGlite.open(target.dataDir, onFatal);
  const db = new Kysely<DB>({ dialect: new ReopeningPGliteDialect(pglite) });
  return {
    kind: target.kind,
    db,
    get broken() {
      return pglite.broken;
    },
    get reopened() {
      return pglite.reopened;
    },
    ping: async () => {
      if (pglite.broken !== undefined) throw new StoreUnavailableError(pglite.broken);
      await sql`select 1`.execute(db);
    },
    // Kysely destroys only a driver it has used: close the instance itself too.
    close: async () => {
      await db.destroy();
      await pglite.close();
    },
  };
}

/** A readiness check (the platform's `ReadinessCheck` shape): ready when the store answers. */
export function storeReadiness(store: Store<unknown>): {
  readonly name: string;
  check(): Promise<Record<string, unknown>>;
} {
  return {
    name: 'store',
    check: async () => {
      await store.ping();
      return { kind: store.kind, reopened: store.reopened };
    },
  };
}
