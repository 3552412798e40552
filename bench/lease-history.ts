// lease-history's projection over a pre-filled RUNLOG_LEASE_HISTORY, into PGlite and (when
// DATABASE_URL is set) PostgreSQL: batches of 200 in one transaction each.
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
  DURABLES,
  exampleData,
  exampleEvent,
  type KindOf,
  type RunlogEvent,
  streamName,
} from '../libs/contracts/src';
import { timeConsumer, withBenchStore } from './projection';
import { type BenchContext, type Measurement, SUBJECTS } from './setup';

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
  return withBenchStore<LeaseHistoryDb, Measurement>(kind, SCHEMA, MIGRATIONS, async (store) => {
    try {
      const results = await ctx.bus.publishMany(leaseEvents(ctx.n, `${ctx.tag}-lease-${kind}`));
      if (results.some((result) => !result.ok))
        throw new Error('could not fill RUNLOG_LEASE_HISTORY');
      const metrics = new LeaseMetrics(new Registry(), () =>
        Promise.resolve({ pending: 0, inFlight: 0 }),
      );
      return await timeConsumer(
        ctx,
        { id, name: `runlog lease-history projection (${kind})`, durable: DURABLES.leaseHistory },
        ['lease_history', 'completion'],
        new LeaseProjectionConsumer(ctx.bus, store, metrics),
      );
    } finally {
      await ctx.jsm.streams.purge(LEASES);
    }
  });
}
