import { type Kysely, sql } from 'kysely';

/** A gap a consumer saw (the bus's `Gap`): events removed by retention before it read them. */
export interface GapRecord {
  readonly consumer: string;
  readonly family: string;
  readonly from_cursor: string;
  readonly to_cursor: string;
  readonly missing: number;
}

/** A stored gap, as services answer it. */
export interface StoredGap extends GapRecord {
  readonly recorded_at: string;
}

/** The `<schema>.gaps` table every projecting service keeps (in its first migration). */
export async function createGapsTable(db: Kysely<unknown>, schema: string): Promise<void> {
  await db.schema
    .withSchema(schema)
    .createTable('gaps')
    .addColumn('consumer', 'text', (c) => c.notNull())
    .addColumn('family', 'text', (c) => c.notNull())
    .addColumn('from_cursor', 'bigint', (c) => c.notNull())
    .addColumn('to_cursor', 'bigint', (c) => c.notNull())
    .addColumn('missing', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('gaps_pk', ['consumer', 'family', 'from_cursor'])
    .execute();
}

/** Stores a gap once per consumer, family and start (a redelivered report is a no-op). */
export async function recordGap<DB>(db: Kysely<DB>, schema: string, gap: GapRecord): Promise<void> {
  await sql`
    insert into ${sql.table(`${schema}.gaps`)} (consumer, family, from_cursor, to_cursor, missing)
    values (${gap.consumer}, ${gap.family}, ${Number(gap.from_cursor)}, ${Number(gap.to_cursor)}, ${gap.missing})
    on conflict (consumer, family, from_cursor) do nothing`.execute(db);
}

/** Gap lists answer at most this many gaps, the newest; `gaps_omitted` counts the older rest. */
export const GAPS_CAP = 1_000;

/** What a gaps route answers: the newest `cap` gaps oldest first, and how many older ones. */
export interface GapList {
  readonly gaps: StoredGap[];
  /** Older gaps not listed (absent when none). */
  readonly gaps_omitted?: number;
}

/** The newest `cap` stored gaps, oldest first, in one statement however many are stored. */
export async function listGaps<DB>(
  db: Kysely<DB>,
  schema: string,
  cap: number = GAPS_CAP,
): Promise<GapList> {
  const { rows } = await sql<{
    consumer: string;
    family: string;
    from_cursor: string | number;
    to_cursor: string | number;
    missing: string | number;
    recorded_at: Date | string;
    stored: string | number;
  }>`select * from (
       select consumer, family, from_cursor, to_cursor, missing, recorded_at,
              count(*) over () as stored
       from ${sql.table(`${schema}.gaps`)}
       order by recorded_at desc, from_cursor desc
       limit ${cap}) newest
     order by recorded_at, from_cursor`.execute(db);
  const gaps = rows.map((row) => ({
    consumer: row.consumer,
    family: row.family,
    from_cursor: String(Number(row.from_cursor)),
    to_cursor: String(Number(row.to_cursor)),
    missing: Number(row.missing),
    recorded_at: new Date(row.recorded_at).toISOString(),
  }));
  const omitted = rows.length === 0 ? 0 : Number(rows[0]!.stored) - rows.length;
  return omitted > 0 ? { gaps, gaps_omitted: omitted } : { gaps };
}
