import { type Kysely, sql } from 'kysely';
import {
  createGapsTable,
  GAPS_CAP,
  listGaps,
  migrateToLatest,
  openStore,
  recordGap,
  type StoreTarget,
} from '@runlog/store';
import { createTestDatabase, testStoreKinds, type TestDatabase, waitFor } from '@runlog/testing';

interface Db {
  'demo.notes': { id: number; body: string; tag: string | null };
}

const migrations = {
  '0001_notes': {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .withSchema('demo')
        .createTable('notes')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_tag': {
    up: async (db: Kysely<unknown>) => {
      await db.schema.withSchema('demo').alterTable('notes').addColumn('tag', 'text').execute();
    },
  },
};

function targetOf(database: TestDatabase): StoreTarget {
  return database.kind === 'postgres'
    ? { kind: 'postgres', url: database.url }
    : { kind: 'pglite', dataDir: database.dataDir };
}

describe.each(testStoreKinds())('SQL store on %s', (kind) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await database.drop();
  });

  it('migrates in order, once, and keeps data across a reopen', async () => {
    const store = await openStore<Db>(targetOf(database));
    const first = await migrateToLatest(store.db as Kysely<unknown>, 'demo', migrations);
    expect(first.map((r) => [r.migrationName, r.status])).toEqual([
      ['0001_notes', 'Success'],
      ['0002_tag', 'Success'],
    ]);
    await store.db.insertInto('demo.notes').values({ id: 1, body: 'kept', tag: 'a' }).execute();
    await store.close();

    const reopened = await openStore<Db>(targetOf(database));
    expect(await migrateToLatest(reopened.db as Kysely<unknown>, 'demo', migrations)).toEqual([]);
    await reopened.ping();
    const rows = await reopened.db.selectFrom('demo.notes').selectAll().execute();
    expect(rows).toEqual([{ id: 1, body: 'kept', tag: 'a' }]);
    await reopened.close();
  });

  it('rolls a failed transaction back whole', async () => {
    const store = await openStore<Db>(targetOf(database));
    try {
      await migrateToLatest(store.db as Kysely<unknown>, 'demo', migrations);
      await expect(
        store.db.transaction().execute(async (trx) => {
          await trx.insertInto('demo.notes').values({ id: 1, body: 'a', tag: null }).execute();
          await trx
            .insertInto('demo.notes')
            .values({ id: 1, body: 'duplicate key', tag: null })
            .execute();
        }),
      ).rejects.toThrow();
      const { count } = await store.db
        .selectFrom('demo.notes')
        .select(sql<string>`count(*)`.as('count'))
        .executeTakeFirstOrThrow();
      expect(Number(count)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('names the migration that failed', async () => {
    const store = await openStore<Db>(targetOf(database));
    try {
      await expect(
        migrateToLatest(store.db as Kysely<unknown>, 'demo', {
          ...migrations,
          '0003_broken': {
            up: async (db: Kysely<unknown>) =>
              void (await sql`select from nowhere_at_all`.execute(db)),
          },
        }),
      ).rejects.toThrow(/0003_broken/);
    } finally {
      await store.close();
    }
  });

  it('lists the newest gaps, oldest first, and counts the older ones it leaves out', async () => {
    const store = await openStore<Db>(targetOf(database));
    try {
      await sql`create schema if not exists g`.execute(store.db);
      await createGapsTable(store.db as Kysely<unknown>, 'g');
      expect(await listGaps(store.db, 'g')).toEqual({ gaps: [] });
      for (let i = 1; i <= 15; i++) {
        const gap = { consumer: 'c', family: 'trace', missing: 1 };
        await recordGap(store.db, 'g', {
          ...gap,
          from_cursor: String(i * 10),
          to_cursor: String(i * 10),
        });
        await recordGap(store.db, 'g', {
          ...gap,
          from_cursor: String(i * 10),
          to_cursor: String(i * 10),
        });
      }
      const capped = await listGaps(store.db, 'g', 10);
      expect(capped.gaps.map((gap) => gap.from_cursor)).toEqual(
        Array.from({ length: 10 }, (_, i) => String((i + 6) * 10)),
      );
      expect(capped.gaps_omitted).toBe(5);
      const all = await listGaps(store.db, 'g');
      expect(all.gaps).toHaveLength(15);
      expect(all.gaps_omitted).toBeUndefined();
      expect(GAPS_CAP).toBe(1_000);
    } finally {
      await store.close();
    }
  });

  it('keeps the planner statistics of a grown table, so a keyset page walks the index instead of sorting the rest', async () => {
    // Timer off first, to see the plan before and after one run; PostgreSQL's autovacuum
    // does it there, so maintain() does nothing.
    const store = await openStore<Db>(targetOf(database), { maintenanceIntervalMs: 0 });
    const rows = async (db: Kysely<Db>): Promise<number> => {
      const { rows } = await sql<{ reltuples: number }>`
        select reltuples from pg_class where oid = 'm.events'::regclass`.execute(db);
      return Number(rows[0]?.reltuples);
    };
    try {
      await sql`create schema m`.execute(store.db);
      // The shape of trace-store's events and its keyset page (trace-reads.ts).
      await sql`create table m.events (trace text not null, ts bigint not null, seq bigint not null, body text not null)`.execute(
        store.db,
      );
      await sql`create index events_in_order on m.events (trace, ts, seq)`.execute(store.db);
      const insert = (from: number, to: number) =>
        sql`insert into m.events select 'big', n, n, repeat('x', 200) from generate_series(${from}::int, ${to}::int) n`.execute(
          store.db,
        );
      await insert(1, 100_000);
      const plan = async (): Promise<string> => {
        const { rows } = await sql<{ 'QUERY PLAN': string }>`
          explain select * from m.events where trace = 'big' and (ts, seq) > (5000::bigint, 5000::bigint)
          order by ts, seq limit 5001`.execute(store.db);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      };
      if (kind === 'pglite') {
        // No statistics: a few hundred rows guessed, all the rest fetched and sorted.
        expect(await plan()).toMatch(/Sort/);
        expect(await store.maintain()).toEqual(['m.events']);
        expect(await plan()).toMatch(/^Limit[\s\S]*Index Scan using events_in_order/);
        expect(await plan()).not.toMatch(/Sort/);
        expect(await store.maintain()).toEqual([]); // nothing has grown since
        await insert(100_001, 110_000);
        expect(await store.maintain()).toEqual([]); // 10%: not yet
        await insert(110_001, 130_000);
        expect(await store.maintain()).toEqual(['m.events']);
        expect(await rows(store.db)).toBe(130_000);
      } else {
        expect(await store.maintain()).toEqual([]);
      }
    } finally {
      await store.close();
    }
    if (kind !== 'pglite') return;
    // The timer does the same on its own.
    const timed = await openStore<Db>(targetOf(database), { maintenanceIntervalMs: 50 });
    try {
      await sql`insert into m.events select 'big', n, n, repeat('x', 200) from generate_series(130001, 200000) n`.execute(
        timed.db,
      );
      await waitFor('the timer to analyze m.events', async () =>
        (await rows(timed.db)) === 200_000 ? true : undefined,
      );
    } finally {
      await timed.close();
    }
  });

  it('lets the event loop turn between statements, so a long read never starves sockets and timers', async () => {
    const store = await openStore<Db>(targetOf(database), { maintenanceIntervalMs: 0 });
    try {
      // PGlite runs statements on this thread: back to back, without a turn of the loop in
      // between, no socket would be read until the last (Node then answered 408 to requests
      // that connected meanwhile). A timer due now must run while the statements go on.
      let done = 0;
      let ranAfter = -1;
      setTimeout(() => {
        ranAfter = done;
      }, 0);
      const statements = 200;
      for (let i = 0; i < statements; i++) {
        await sql`select ${i}::int as n`.execute(store.db);
        done++;
      }
      expect(ranAfter).toBeGreaterThanOrEqual(0);
      expect(ranAfter).toBeLessThan(statements);
    } finally {
      await store.close();
    }
  });
});
