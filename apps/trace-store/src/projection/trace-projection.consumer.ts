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
import { type TraceStoreDb } from '../store/trace-store.schema';
import { TraceMetrics } from './trace-metrics';
import { TraceProjection } from './trace-projection';

/**
 * Events per transaction: large enough to amortize the commit, the four statements and a
 * summary write per trace touched (the per-statement cost is high on PGlite), small enough
 * to retry. The durable's max_ack_pending is twice this, so the next batch is already
 * delivered while one is written.
 */
export const BATCH_SIZE = 1000;

/** Tuning of the projection's durable (tests make batches small); DESIGN.md fixes the rest. */
export const TRACE_PROJECTION_OPTIONS = Symbol.for('runlog.trace-store.projection-options');
export interface TraceProjectionOptions extends ConsumerTuning {
  readonly batchSize?: number;
}

/**
 * The projection's durable consumer (`trace-store` on RUNLOG_TRACE): each batch in one
 * transaction, then acked. A failed batch is bisected: an event the store refuses is
 * parked alone (cause `poison`) and the rest committed in order; while the store is down
 * the batch is retried and nothing is parked. Gaps are stored.
 */
@Injectable()
export class TraceProjectionConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private running: RunningConsumer | undefined;
  private readonly projection: TraceProjection;

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(STORE) store: Store<TraceStoreDb>,
    @Inject(TraceMetrics) private readonly metrics: TraceMetrics,
    @Optional()
    @Inject(TRACE_PROJECTION_OPTIONS)
    private readonly options: TraceProjectionOptions = {},
  ) {
    this.projection = new TraceProjection(store.db);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { batchSize = BATCH_SIZE, ...tuning } = this.options;
    this.running = await this.bus.consume({
      maxAckPending: 2 * batchSize,
      ...tuning,
      durable: DURABLES.traceStore,
      family: 'trace',
      // Anyone who may publish to events.trace.* bypasses ingest: the whole contract is
      // checked on every delivery, and what breaks it is parked (docs/decisions.md D10).
      validate: 'full',
      onGap: (gap) => this.projection.recordGap(gap),
      // A store that is down is retried without parking; an event it refuses is parked alone.
      classifyError: classifyStoreError,
      handler: {
        mode: 'batch',
        size: batchSize,
        handle: async (events) => {
          this.metrics.batch(await this.projection.apply(events));
        },
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.running?.stop();
  }
}
