import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { Bus, type ConsumerTuning, type RunningConsumer } from '@runlog/bus';
import { DURABLES } from '@runlog/contracts';
import { classifyStoreError, STORE, type Store } from '@runlog/store';
import { type LeaseHistoryDb } from '../store/lease-history.schema';
import { LeaseMetrics } from './lease-metrics';
import { LeaseProjection, type ProjectedEvent, type ProjectedFamily } from './lease-projection';

/** Events per transaction: large enough to amortize the commit, small enough to retry. */
export const BATCH_SIZE = 200;

/** Tuning of the projection's durables (tests make batches small); DESIGN.md fixes the rest. */
export const LEASE_PROJECTION_OPTIONS = Symbol.for('runlog.lease-history.projection-options');
export interface LeaseProjectionOptions extends ConsumerTuning {
  readonly batchSize?: number;
}

/**
 * The projection's durable consumers (`lease-history` on RUNLOG_LEASE_HISTORY and on
 * RUNLOG_COMPLETION): each batch in one transaction, then acked. A failed batch is
 * bisected: an event the store refuses is parked alone (cause `poison`) and the rest
 * committed in order; while the store is down the batch is retried and nothing is parked.
 * Gaps are stored.
 */
@Injectable()
export class LeaseProjectionConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly running: RunningConsumer[] = [];
  private readonly projection: LeaseProjection;

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(STORE) store: Store<LeaseHistoryDb>,
    @Inject(LeaseMetrics) private readonly metrics: LeaseMetrics,
    @Optional()
    @Inject(LEASE_PROJECTION_OPTIONS)
    private readonly options: LeaseProjectionOptions = {},
  ) {
    this.projection = new LeaseProjection(store.db);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const family of ['lease_history', 'completion'] as const) {
      this.running.push(await this.consume(family));
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.running.splice(0).map((running) => running.stop()));
  }

  private consume(family: ProjectedFamily): Promise<RunningConsumer> {
    const { batchSize = BATCH_SIZE, ...tuning } = this.options;
    return this.bus.consume({
      ...tuning,
      durable: DURABLES.leaseHistory,
      family,
      // Anyone who may publish to events.<family>.* bypasses ingest: the whole contract is
      // checked on every delivery, and what breaks it is parked (docs/decisions.md D10).
      validate: 'full',
      onGap: (gap) => this.projection.recordGap(gap),
      // A store that is down is retried without parking; an event it refuses is parked alone.
      classifyError: classifyStoreError,
      handler: {
        mode: 'batch',
        size: batchSize,
        handle: async (events: readonly ProjectedEvent[], ctx) => {
          const result = await this.projection.apply(events, ctx.stream);
          this.metrics.batch(family, result.applied, result.newAnomalies);
        },
      },
    });
  }
}
