import {
  type DeliveredEvent,
  DURABLES,
  type KindOf,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { uniqueName } from '@runlog/testing';
import { Registry } from 'prom-client';
import { leaseHistoryService } from '../../apps/lease-history/src/lease-history.service-definition';
import { LeaseMetrics } from '../../apps/lease-history/src/projection/lease-metrics';
import {
  LeaseProjectionConsumer,
  type LeaseProjectionOptions,
} from '../../apps/lease-history/src/projection/lease-projection.consumer';
import {
  type LeaseEventRow,
  leaseView,
  type LeaseView,
} from '../../apps/lease-history/src/projection/lease-state';
import {
  type LeaseHistoryDb,
  MIGRATIONS,
  SCHEMA,
} from '../../apps/lease-history/src/store/lease-history.schema';
import { typedEvent } from '../bus/bus-fixtures';
import { getJson, type ProjectionFixture, startProjectionFixture } from '../projection-fixture';

/** A projection instance built by hand (no Nest app): its own connection and metrics. */
export interface Projector {
  readonly registry: Registry;
  stop(): Promise<void>;
}

/** The shared projection fixture, plus lease-history's own projector instances. */
export interface LeaseFixture extends ProjectionFixture<LeaseHistoryDb> {
  projector(
    options?: LeaseProjectionOptions,
    metrics?: (registry: Registry) => LeaseMetrics,
  ): Promise<Projector>;
}

export async function startLeaseFixture(kind: 'pglite' | 'postgres'): Promise<LeaseFixture> {
  const fx = await startProjectionFixture<LeaseHistoryDb>({
    kind,
    service: leaseHistoryService,
    portVariable: 'LEASE_HISTORY_PORT',
    storeName: 'lease-history',
    schema: SCHEMA,
    migrations: MIGRATIONS,
    streams: [streamName('lease_history'), streamName('completion')],
    durable: DURABLES.leaseHistory,
  });
  return {
    ...fx,
    projector: async (options = {}, metrics) => {
      const registry = new Registry();
      const own = await fx.connect();
      const leaseMetrics =
        metrics?.(registry) ??
        new LeaseMetrics(registry, () => Promise.resolve({ pending: 0, inFlight: 0 }));
      const consumer = new LeaseProjectionConsumer(own, await fx.store(), leaseMetrics, options);
      await consumer.onApplicationBootstrap();
      let stopped: Promise<void> | undefined;
      const stop = () => (stopped ??= consumer.onModuleDestroy());
      fx.onClose(stop);
      return { registry, stop };
    },
  };
}

/** Lease events of one execution, built through the contract. */
export function leaseEvent(
  kind: KindOf<'lease_history'>,
  executionId: string,
  at: string,
  extra: Record<string, unknown> = {},
): RunlogEvent<'lease_history'> {
  return typedEvent('lease_history', kind, uniqueName(kind), {
    execution_id: executionId,
    at,
    ...extra,
  });
}

export function completed(
  executionId: string,
  outcome: string,
  at: string,
): RunlogEvent<'completion'> {
  return typedEvent('completion', 'completed', uniqueName('completed'), {
    execution_id: executionId,
    outcome,
    at,
  });
}

/** The instant `seconds` after a fixed start, RFC 3339. */
export const t = (seconds: number): string =>
  new Date(Date.UTC(2026, 10, 23, 9) + seconds * 1000).toISOString();

/** The lease view the pure state machine gives for these delivered events: the reference. */
export function expectedView(
  executionId: string,
  leases: readonly DeliveredEvent<'lease_history'>[],
  completions: readonly DeliveredEvent<'completion'>[] = [],
): LeaseView | undefined {
  return leaseView(
    executionId,
    leases
      .filter((e) => e.data.execution_id === executionId)
      .map((e): LeaseEventRow => ({ seq: Number(e.cursor), kind: e.kind, data: e.data })),
    completions
      .filter((e) => e.data.execution_id === executionId)
      .map((e) => ({ seq: Number(e.cursor), data: e.data })),
  );
}

export { getJson };
