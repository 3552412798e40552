import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { Pool } from 'pg';

/** Where a service keeps its SQL data: PostgreSQL, or an embedded PGlite directory. */
export type StoreTarget =
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize?: number }
  | { readonly kind: 'pglite'; readonly dataDir: string };

/** An open SQL store: one Kysely instance over PostgreSQL or PGlite, same SQL on both. */
export interface Store<DB> {
  readonly kind: StoreTarget['kind'];
  readonly db: Kysely<DB>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
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
export async function openStore<DB>(target: StoreTarget): Promise<Store<DB>> {
  let db: Kysely<DB>;
  if (target.kind === 'postgres') {
    const pool = new Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  } else {
    mkdirSync(target.dataDir, { recursive: true });
    const pglite = await PGlite.create(target.dataDir);
    db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  }
  return {
    kind: target.kind,
    db,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
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
      return { kind: store.kind };
    },
  };
}
