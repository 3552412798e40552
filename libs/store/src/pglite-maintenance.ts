import { type Kysely, sql } from 'kysely';

// PGlite is PostgreSQL in one process with no background workers: no autovacuum, and so
// no statistics ever, unless someone runs ANALYZE. Without statistics the planner guesses a
// few hundred rows per trace and sorts a keyset page in memory instead of walking the
// index: each page of a million-event trace then reads every event after it (O(n) a page,
// O(n²) a walk; 589 s for 200 pages in bench:trace-million). This is the part of
// autovacuum the embedded store needs, driven by table growth since the last run.

/** A table whose size has grown past what its statistics describe. */
interface TableSize {
  readonly schema: string;
  readonly name: string;
  /** Pages at the last VACUUM or ANALYZE (0 before the first). */
  readonly relpages: number | string;
  /** -1 before the first VACUUM or ANALYZE (PostgreSQL 14 and later). */
  readonly reltuples: number | string;
  readonly pages: number | string;
}

/** Tables below this many 8 KiB pages are left alone: every plan over them is cheap. */
const MIN_PAGES = 16;
/** The first run after the store opens (later ones every interval). */
const FIRST_RUN_MS = 1_000;
/** Maintained again once a table has grown by this factor since its statistics were taken. */
const GROWTH = 1.2;

/**
 * Vacuums and analyzes every table grown past its statistics (by {@link GROWTH} since the
 * last run, or never analyzed), through `db`; the names of the tables it did.
 */
export async function maintainGrownTables(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<TableSize>`
    select n.nspname as schema, c.relname as name, c.relpages, c.reltuples,
           pg_relation_size(c.oid) / current_setting('block_size')::int as pages
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname <> 'information_schema'
      and n.nspname not like 'pg\\_%'
    order by 1, 2`.execute(db);
  const done: string[] = [];
  for (const table of rows) {
    const pages = Number(table.pages);
    if (pages < MIN_PAGES) continue;
    if (Number(table.reltuples) >= 0 && pages <= Math.max(1, Number(table.relpages)) * GROWTH)
      continue;
    const name = `${table.schema}.${table.name}`;
    await sql`vacuum (analyze) ${sql.table(name)}`.execute(db);
    done.push(name);
  }
  return done;
}

/** A timer running {@link maintainGrownTables}. */
export interface Maintenance {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs {@link maintainGrownTables} a second after the start, then every `intervalMs` (unref'd: it never keeps the process
 * alive) through `db`, whose driver serialises it with the projections' transactions.
 * A failed run is reported to `onError` and tried again at the next tick.
 */
export function startPGliteMaintenance(
  db: Kysely<unknown>,
  intervalMs: number,
  onError: (error: unknown) => void,
): Maintenance {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (stopped) return;
    running = maintainGrownTables(db)
      .catch((error: unknown) => {
        if (!stopped) onError(error);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs).unref();
      });
  };
  // The first run soon after the start: a data directory never analyzed (written before
  // this existed, or by a process that stopped before its first tick) is not left slow.
  timer = setTimeout(tick, Math.min(intervalMs, FIRST_RUN_MS)).unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
