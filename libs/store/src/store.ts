import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { maintainGrownTables, startPGliteMaintenance } from './pglite-maintenance';
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
  /**
   * Brings the planner's statistics up to date now, where the store has no autovacuum of
   * its own (PGlite: pglite-maintenance.ts; it also runs on a timer). The tables it did.
   */
  maintain(): Promise<string[]>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /**
   * Called once when the store is broken for good (a trapped PGlite that cannot be
   * reopened): the service should report unready and exit non-zero so a supervisor
   * restarts it. StoreModule wires one that exits the process.
   */
  readonly onFatal?: FatalHook;
  /**
   * PGlite only: how often tables grown past their statistics are vacuumed and analyzed
   * (it has no autovacuum); 0 turns the timer off. Default 30 s.
   */
  readonly maintenanceIntervalMs?: number;
  /** A maintenance run that failed (it is tried again at the next tick). */
  readonly onMaintenanceError?: (error: unknown) => void;
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
      maintain: () => Promise.resolve([]), // PostgreSQL's autovacuum does it
      close: () => db.destroy(),
    };
  }
  mkdirSync(target.dataDir, { recursive: true });
  const pglite = await ReopeningPGlite.open(target.dataDir, onFatal);
  const db = new Kysely<DB>({ dialect: new ReopeningPGliteDialect(pglite) });
  const intervalMs = options.maintenanceIntervalMs ?? 30_000;
  const maintenance =
    intervalMs > 0
      ? startPGliteMaintenance(
          db as Kysely<unknown>,
          intervalMs,
          options.onMaintenanceError ?? (() => undefined),
        )
      : undefined;
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
    maintain: () => maintainGrownTables(db as Kysely<unknown>),
    // Kysely destroys only a driver it has used: close the instance itself too.
    close: async () => {
      await maintenance?.stop();
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
