// lease-history's real projection (LeaseProjectionConsumer: the bus's durable consumer,
// batches in one transaction, classifyStoreError) on a store of the test's choosing, and
// the reads that tell whether each event was applied exactly once.
import { type Bus } from '@runlog/bus';
import { DURABLES, type RunlogEvent, streamName } from '@runlog/contracts';
import { consumerBacklog } from '@runlog/platform';
import { listGaps, migrateToLatest, openStore, type Store, type StoreTarget } from '@runlog/store';
import { waitFor } from '@runlog/testing';
import { type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { LeaseMetrics } from '../../apps/lease-history/src/projection/lease-metrics';
import {
  LeaseProjectionConsumer,
  type LeaseProjectionOptions,
} from '../../apps/lease-history/src/projection/lease-projection.consumer';
import { type LeaseView } from '../../apps/lease-history/src/projection/lease-state';
import { LeaseQueryService } from '../../apps/lease-history/src/query/lease-query.service';
import {
  type LeaseHistoryDb,
  MIGRATIONS,
  SCHEMA,
} from '../../apps/lease-history/src/store/lease-history.schema';
import { leaseEvent, t } from '../lease-history/lease-fixtures';

/** One applied event, as the projection stored it. */
export interface StoredRow {
  readonly seq: number;
  readonly id: string;
}

export interface LeaseProjector {
  readonly store: Store<LeaseHistoryDb>;
  /** Events the projection's batches wrote, redeliveries included (its applied counter). */
  applied(): number;
  /** The stored events of RUNLOG_LEASE_HISTORY, in cursor order. */
  rows(): Promise<StoredRow[]>;
  lease(executionId: string): Promise<LeaseView | undefined>;
  gaps(): Promise<unknown[]>;
  /** Resolves once the durable has nothing pending or in flight and `count` rows are stored. */
  caughtUp(count: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Opens and migrates the store, and starts the projection's durables on `bus`. */
export async function startLeaseProjector(
  bus: Bus,
  target: StoreTarget,
  options: LeaseProjectionOptions,
): Promise<LeaseProjector> {
  const store = await openStore<LeaseHistoryDb>(target);
  let consumer: LeaseProjectionConsumer | undefined;
  try {
    await migrateToLatest(store.db as Kysely<unknown>, SCHEMA, MIGRATIONS);
    let applied = 0;
    const metrics = new (class extends LeaseMetrics {
      override batch(...args: Parameters<LeaseMetrics['batch']>): void {
        applied += args[1];
        super.batch(...args);
      }
    })(new Registry(), () => Promise.resolve({ pending: 0, inFlight: 0 }));
    consumer = new LeaseProjectionConsumer(bus, store, metrics, options);
    await consumer.onApplicationBootstrap();
    const started = consumer;
    const query = new LeaseQueryService(store);
    const rows = async (): Promise<StoredRow[]> => {
      const found = await store.db
        .selectFrom('lease_history.events')
        .select(['seq', 'id'])
        .where('stream', '=', streamName('lease_history'))
        .orderBy('seq')
        .execute();
      return found.map((row) => ({ seq: Number(row.seq), id: row.id }));
    };
    let stopped: Promise<void> | undefined;
    return {
      store,
      applied: () => applied,
      rows,
      lease: (executionId) => query.lease(executionId),
      gaps: async () => (await listGaps(store.db, SCHEMA)).gaps,
      caughtUp: async (count, timeoutMs) => {
        await waitFor(
          `the lease projection caught up with ${count} events`,
          async () => {
            const backlog = await consumerBacklog(
              bus,
              streamName('lease_history'),
              DURABLES.leaseHistory,
            );
            if (backlog.pending + backlog.inFlight > 0) return undefined;
            return (await rows()).length >= count ? true : undefined;
          },
          { timeoutMs, intervalMs: 100 },
        );
      },
      stop: () =>
        (stopped ??= (async () => {
          await started.onModuleDestroy();
          await store.close();
        })()),
    };
  } catch (error) {
    await consumer?.onModuleDestroy().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The `index`th event of a lease workload over `executions` executions: each one's first
 * event acquires its lease, every later one renews it.
 */
export function leaseWorkload(prefix: string, executions = 20) {
  return (index: number): RunlogEvent<'lease_history'> => {
    const execution = `${prefix}-${index % executions}`;
    return index < executions
      ? leaseEvent('acquired', execution, t(index), { worker_instance_id: 'w1' })
      : leaseEvent('renewed', execution, t(index), { worker_instance_id: 'w1' });
  };
}
