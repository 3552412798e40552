// lease-history's projection over a pre-filled RUNLOG_LEASE_HISTORY, into PGlite and (when
// DATABASE_URL is set) PostgreSQL: batches of 200 in one transaction each.
import { type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { LeaseMetrics } from '../apps/lease-history/src/projection/lease-metrics';
import { LeaseProjectionConsumer } from '../apps/lease-history/src/projection/lease-projection.consumer';
import {
  type LeaseHistoryDb,
  MIGRATIONS,
  SCHEMA,
} from '../apps/lease-history/src/store/lease-history.schema';
import {
  decode,
  DEADLETTER_STREAM,
  DURABLES,
  exampleData,
  exampleEvent,
  type KindOf,
  type RunlogEvent,
  streamName,
} from '../libs/contracts/src';
import { migrateToLatest, openStore } from '../libs/store/src';
import { createTestDatabase } from '../libs/testing/src/database';
import { type BenchContext, type Measurement, measured, SUBJECTS, within } from './setup';

const LEASES = streamName('lease_history');

/** `count` lease events over {@link SUBJECTS} executions: acquired, then renewals. */
function leaseEvents(count: number, prefix: string): RunlogEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const execution = `exec-${i % SUBJECTS}`;
    const kind: KindOf<'lease_history'> = i < SUBJECTS ? 'acquired' : 'renewed';
    const at = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
    const data = { ...exampleData('lease_history', kind), execution_id: execution, at };
    const result = decode(
      exampleEvent('lease_history', kind, { id: `${prefix}-${i}`, subject: execution, data }),
    );
    if (!result.ok) throw new Error(`bad bench event: ${JSON.stringify(result.errors)}`);
    return result.value;
  });
}

/**
 * 10 and 11. The projection from the first event until it has acked all `n` (or the
 * budget ends). Needs the bench's own server: its durables have fixed names.
 */
export async function leaseProjection(
  ctx: BenchContext,
  id: number,
  kind: 'pglite' | 'postgres',
): Promise<Measurement> {
  const database = await createTestDatabase(kind);
  const store = await openStore<LeaseHistoryDb>(
    database.kind === 'postgres'
      ? { kind: 'postgres', url: database.url }
      : { kind: 'pglite', dataDir: database.dataDir },
  );
  try {
    await migrateToLatest(store.db as Kysely<unknown>, SCHEMA, MIGRATIONS);
    const results = await ctx.bus.publishMany(leaseEvents(ctx.n, `${ctx.tag}-lease-${kind}`));
    if (results.some((result) => !result.ok))
      throw new Error('could not fill RUNLOG_LEASE_HISTORY');
    const metrics = new LeaseMetrics(new Registry(), () =>
      Promise.resolve({ pending: 0, inFlight: 0 }),
    );
    const projection = new LeaseProjectionConsumer(ctx.bus, store, metrics);
    const before = ctx.acks.count(DURABLES.leaseHistory);
    const all = ctx.acks.reached(DURABLES.leaseHistory, before + ctx.n);
    const started = performance.now();
    await projection.onApplicationBootstrap();
    const complete = await within(all, ctx.budgetMs);
    await ctx.bus.connection.flush();
    const ended = performance.now();
    await projection.onModuleDestroy();
    const done = Math.min(ctx.acks.count(DURABLES.leaseHistory) - before, ctx.n);
    return measured(
      id,
      `runlog lease-history projection (${kind})`,
      'runlog',
      done,
      started,
      complete,
      ended,
    );
  } finally {
    for (const stream of [LEASES, streamName('completion')]) {
      await ctx.jsm.consumers.delete(stream, DURABLES.leaseHistory).catch(() => undefined);
    }
    for (const family of ['lease_history', 'completion']) {
      await ctx.jsm.consumers
        .delete(DEADLETTER_STREAM, `${DURABLES.leaseHistory}-redrive-${family}`)
        .catch(() => undefined);
    }
    await ctx.jsm.streams.purge(LEASES);
    await store.close();
    await database.drop();
  }
}
