import { type Kysely, sql } from 'kysely';
import { migrateToLatest, openStore, type StoreTarget } from '@runlog/store';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '@runlog/testing';

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
});
