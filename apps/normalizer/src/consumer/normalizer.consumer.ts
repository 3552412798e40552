import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Bus, type EventContext, type RunningConsumer } from '@runlog/bus';
import { type DeliveredEvent, DURABLES, encode, liveAgentSubject } from '@runlog/contracts';
import { RUNLOG_CONFIG, type RunlogConfig } from '@runlog/platform';
import { type CanonicalOutput, mapAgentEvent } from '../mapping';
import { RunStateStore } from '../run-state/run-state-store';

/**
 * The normalizer's durable consumer on RUNLOG_AGENT (DESIGN.md §3): forwards every raw
 * event to `live.agent.<thread>.<run>`, advances the run's state in KV (compare-and-set,
 * stored before publishing), and publishes the canonical facts the durability mode keeps
 * with msgID `<stream>:<seq>:<index>`, so a redelivery never duplicates. One event at a
 * time keeps each run's order. Invalid raw events are dead-lettered by the bus
 * (`validate: 'full'`); a failed publish is retried.
 */
@Injectable()
export class NormalizerConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Normalizer');
  private running: RunningConsumer | undefined;

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(RUNLOG_CONFIG) private readonly config: RunlogConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const store = await RunStateStore.open(this.bus.connection, {
      replicas: this.config.streams.replicas,
    });
    this.logger.log(`durability mode: ${this.config.normalizerDurability}`);
    this.running = await this.bus.consume({
      durable: DURABLES.normalizer,
      family: 'agent',
      validate: 'full',
      handler: { mode: 'event', handle: (event, ctx) => this.handle(store, event, ctx) },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.running?.stop();
  }

  private async handle(
    store: RunStateStore,
    event: DeliveredEvent<'agent'>,
    ctx: EventContext,
  ): Promise<void> {
    const { thread_id: thread, run_id: run } = event.data;
    this.bus.connection.publish(liveAgentSubject(thread, run), JSON.stringify(encode(event)));
    const canonical = await store.apply<readonly CanonicalOutput[]>(thread, run, (state) => {
      const mapped = mapAgentEvent({
        event,
        state,
        mode: this.config.normalizerDurability,
        stream: ctx.stream,
      });
      return { state: mapped.state, changed: mapped.stateChanged, result: mapped.canonical };
    });
    const results = await this.bus.publishMany(canonical.map((item) => item.event));
    const failed = results.filter((result) => !result.ok);
    if (failed.length > 0)
      throw new Error(
        `${failed.length} canonical event(s) of ${ctx.stream}#${ctx.cursor} not written`,
      );
  }
}
