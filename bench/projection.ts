// What the service rows share: a store of either kind for one row, the timing of a
// service's consumer from its start until it has acked `n`, and removing its durable.
import { type Kysely, type Migration } from 'kysely';
import { redriveDurable } from '../libs/bus/src';
import { DEADLETTER_STREAM, type Family, streamName } from '../libs/contracts/src';
import { migrateToLatest, openStore, type Store } from '../libs/store/src';
import { createTestDatabase } from '../libs/testing/src/database';
import { type BenchContext, type Measurement, measured, within } from './setup';

/** A service's consumer as Nest runs it: started at bootstrap, stopped at destroy. */
export interface ServiceConsumer {
  onApplicationBootstrap(): Promise<void>;
  onModuleDestroy(): Promise<void>;
}

/** Runs `use` with a fresh, migrated store of `kind`, then closes and drops it. */
export async function withBenchStore<DB, T>(
  kind: 'pglite' | 'postgres',
  schema: string,
  migrations: Readonly<Record<string, Migration>>,
  use: (store: Store<DB>) => Promise<T>,
): Promise<T> {
  const database = await createTestDatabase(kind);
  const store = await openStore<DB>(
    database.kind === 'postgres'
      ? { kind: 'postgres', url: database.url }
      : { kind: 'pglite', dataDir: database.dataDir },
  );
  try {
    await migrateToLatest(store.db as Kysely<unknown>, schema, migrations);
    return await use(store);
  } finally {
    await store.close();
    await database.drop();
  }
}

/**
 * Times a service's consumer over `n` stored events: from its start until the bus has
 * acked all `n` for `durable` (or the budget ends), acks flushed. Then removes the durable
 * (and its re-drive consumers) from `families`, so the next row starts clean.
 */
export async function timeConsumer(
  ctx: BenchContext,
  row: { readonly id: number; readonly name: string; readonly durable: string },
  families: readonly Family[],
  consumer: ServiceConsumer,
): Promise<Measurement> {
  try {
    const before = ctx.acks.count(row.durable);
    const all = ctx.acks.reached(row.durable, before + ctx.n);
    const started = performance.now();
    await consumer.onApplicationBootstrap();
    const complete = await within(all, ctx.budgetMs);
    await ctx.bus.connection.flush();
    const ended = performance.now();
    await consumer.onModuleDestroy();
    const done = Math.min(ctx.acks.count(row.durable) - before, ctx.n);
    return measured(row.id, row.name, 'runlog', done, started, complete, ended);
  } finally {
    for (const family of families) {
      await ctx.jsm.consumers.delete(streamName(family), row.durable).catch(() => undefined);
      await ctx.jsm.consumers
        .delete(DEADLETTER_STREAM, redriveDurable(row.durable, family))
        .catch(() => undefined);
    }
  }
}
