import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import {
  Bus,
  classifyBusError,
  type ConsumerTuning,
  DEFAULT_ACK_WAIT_MS,
  type EventContext,
  Outcome,
  type RunningConsumer,
} from '@runlog/bus';
import { type DeliveredEvent, DURABLES, streamName } from '@runlog/contracts';
import { RUNLOG_CONFIG, type RunlogConfig } from '@runlog/platform';
import { type CanonicalOutput, mapAgentEvent, type RunState, touchesRunState } from '../mapping';
import { RunStateStore } from '../run-state/run-state-store';
import { NormalizerMetrics } from './normalizer-metrics';
import { orderRetryDelay, RunOrder } from './run-order';

/** Deliveries of a raw event before it is dead-lettered (waiting for its run's turn uses some). */
export const NORMALIZER_MAX_DELIVER = 10;
/** Events handled at once per replica: different runs side by side, each run in order. */
export const NORMALIZER_CONCURRENCY = 32;

/** Tuning of the normalizer's durable (tests shorten `ackWaitMs`); DESIGN.md fixes the rest. */
export const NORMALIZER_CONSUMER_OPTIONS = Symbol.for('runlog.normalizer.consumer-options');
export type NormalizerConsumerOptions = ConsumerTuning;

/**
 * The normalizer's durable consumer on RUNLOG_AGENT (DESIGN.md §3). For each raw event,
 * once every earlier event of its run is finished ({@link RunOrder}): forwards it to
 * `live.agent.<thread>.<run>`, advances the run's state in KV (compare-and-set, stored
 * before publishing), and publishes the canonical facts the durability mode keeps with
 * msgID `<stream>:<seq>:<index>`, so a redelivery never duplicates. Invalid raw events are
 * dead-lettered by the bus (`validate: 'full'`); a failed publish is retried.
 */
@Injectable()
export class NormalizerConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Normalizer');
  private readonly stream = streamName('agent');
  private running: RunningConsumer | undefined;

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(RUNLOG_CONFIG) private readonly config: RunlogConfig,
    @Inject(NormalizerMetrics) private readonly metrics: NormalizerMetrics,
    @Optional()
    @Inject(NORMALIZER_CONSUMER_OPTIONS)
    private readonly options: NormalizerConsumerOptions = {},
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const store = await RunStateStore.open(this.bus, {
      replicas: this.config.streams.replicas,
    });
    const stream = this.stream;
    const order = new RunOrder((subject, from) => this.bus.nextSeqOnSubject(stream, subject, from));
    this.logger.log(`durability mode: ${this.config.normalizerDurability}`);
    this.running = await this.bus.consume({
      ...this.options,
      durable: DURABLES.normalizer,
      family: 'agent',
      validate: 'full',
      maxDeliver: NORMALIZER_MAX_DELIVER,
      // Its store is NATS (KV run state, canonical publishes): NATS or a stream leader
      // away is an outage, retried past max_deliver, never a reason to park the event.
      classifyError: classifyBusError,
      concurrency: NORMALIZER_CONCURRENCY,
      handler: { mode: 'event', handle: (event, ctx) => this.handle(store, order, event, ctx) },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.running?.stop();
  }

  private handle(
    store: RunStateStore,
    order: RunOrder,
    event: DeliveredEvent<'agent'>,
    ctx: EventContext,
  ): Promise<Outcome | void> {
    // A re-driven dead letter is no longer in the stream: it has no turn to wait for.
    if (ctx.redriven) return this.normalize(store, event, ctx);
    return order.serially(ctx.subject, () => this.inTurn(store, order, event, ctx));
  }

  /** Handles the event once every earlier event of its run is written ({@link RunOrder}). */
  private async inTurn(
    store: RunStateStore,
    order: RunOrder,
    event: DeliveredEvent<'agent'>,
    ctx: EventContext,
  ): Promise<Outcome | void> {
    const seq = Number(ctx.cursor);
    const turn = await order.turn(ctx.subject, seq, () => ctx.working());
    if (turn.blockedBy !== undefined) {
      const blocked = `${ctx.stream}#${turn.blockedBy}, an earlier event of the same run, is unfinished`;
      if (ctx.deliveryCount < NORMALIZER_MAX_DELIVER - 1) {
        order.handBack(seq);
        this.metrics.orderWait('handed_back');
        const ackWaitMs = this.options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
        const delayMs = orderRetryDelay(ackWaitMs, NORMALIZER_MAX_DELIVER - 2);
        return Outcome.retry(delayMs, blocked);
      }
      // Better late and out of order than dead-lettered: handle it, and say so.
      this.metrics.orderWait('overtook');
      this.logger.warn(`${ctx.stream}#${seq} handled out of order: ${blocked}`);
    } else if (turn.waited) this.metrics.orderWait('waited');
    try {
      await this.normalize(store, event, ctx);
    } catch (error) {
      order.handBack(seq); // the bus retries it; later events of its run wait for it
      throw error;
    }
    order.settle(ctx.subject, seq);
  }

  /** Forwards the raw event live, advances its run's state, and writes its canonical facts. */
  private async normalize(
    store: RunStateStore,
    event: DeliveredEvent<'agent'>,
    ctx: EventContext,
  ): Promise<void> {
    const { thread_id: thread, run_id: run } = event.data;
    this.bus.publishLive(event);
    const mode = this.config.normalizerDurability;
    const map = (state: RunState | undefined) =>
      mapAgentEvent({ event, state, mode, stream: ctx.stream });
    // Only starts and finishes read or move run state: the rest skip the KV round trips.
    const canonical = touchesRunState(event.kind)
      ? await store.apply<readonly CanonicalOutput[]>(thread, run, (state) => {
          const mapped = map(state);
          return { state: mapped.state, changed: mapped.stateChanged, result: mapped.canonical };
        })
      : map(undefined).canonical;
    if (canonical.length === 0) return this.metrics.raw(event.kind);
    const results = await this.bus.publishMany(canonical.map((item) => item.event));
    const failed = results.filter((result) => !result.ok);
    if (failed.length > 0)
      throw new Error(
        `${failed.length} canonical event(s) of ${ctx.stream}#${ctx.cursor} not written`,
      );
    this.metrics.raw(event.kind);
    results.forEach((result, i) => {
      if (result.ok && !result.value.duplicate) this.metrics.canonical(canonical[i]!.event.kind);
    });
  }
}
