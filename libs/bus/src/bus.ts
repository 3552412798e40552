import {
  type ConsumerInfo,
  jetstream,
  type JetStreamClient,
  jetstreamManager,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type NatsConnection } from '@nats-io/transport-node';
import {
  DEADLETTER_STREAM,
  type Family,
  FAMILIES,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { type BusOptions } from './bus-options';
import { type BusLogger, CONSOLE_BUS_LOGGER } from './logging/bus-logger';
import { connectNats } from './connection/connect';
import { eventBinding, rawBinding } from './consumer/binding';
import { type ConsumerSpec, type RawConsumerSpec } from './consumer/consumer-spec';
import {
  type ConsumerSource,
  DurableConsumer,
  type DurableConsumerDeps,
} from './consumer/durable-consumer';
import {
  DeadLetters,
  rawRedriveDurable,
  redriveDurable,
  redriveSubject,
} from './dead-letter/dead-letters';
import { type BusMetrics, NOOP_BUS_METRICS } from './metrics/bus-metrics';
import { ensureStream } from './provisioning/provision';
import {
  deadLetterStreamConfig,
  familyStreamConfig,
  ingestStreamConfig,
} from './provisioning/stream-configs';
import { isConsumerNotFound, isStreamNotFound } from './errors/jetstream-codes';
import { publishLive } from './publisher/live';
import { type PublishManyResult, Publisher, type PublishResult } from './publisher/publisher';
import { subscribe, type SubscribeOptions, type TailItem } from './replay/subscribe';
import { within } from './within';

/** How long close() lets the connection drain before closing it. */
const DRAIN_TIMEOUT_MS = 10_000;

/** A running durable consumer (and its dead-letter re-drive twin). */
export interface RunningConsumer {
  /** Stops pulling, finishes and acks in-flight work. */
  stop(): Promise<void>;
}

/** Room left in a NATS message for headers and the subject. */
const HEADROOM_BYTES = 4 * 1024;
/** The NATS server's default `max_payload`, when the server has not said. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * The JetStream bus: one NATS connection, provisioning, the publisher, durable consumers,
 * replay/tail and dead-letter admin. Framework-free; `BusModule` wires it into NestJS.
 */
export class Bus {
  readonly js: JetStreamClient;
  readonly publisher: Publisher;
  readonly deadLetters: DeadLetters;
  private readonly consumers = new Set<RunningConsumer>();
  private readonly metrics: BusMetrics;
  private readonly logger: BusLogger;
  private closing: Promise<void> | undefined;

  private constructor(
    /** The NATS connection the bus owns (core NATS publishes such as `live.*` go through it). */
    readonly connection: NatsConnection,
    /** JetStream management (stream info, message get/delete). */
    readonly manager: JetStreamManager,
    readonly options: BusOptions,
  ) {
    this.metrics = options.metrics ?? NOOP_BUS_METRICS;
    this.logger = (options.logger ?? CONSOLE_BUS_LOGGER)('Bus');
    this.js = jetstream(connection);
    this.publisher = new Publisher(connection, {
      metrics: this.metrics,
      ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    });
    this.deadLetters = new DeadLetters(this.js, manager, this.publisher);
  }

  /** Connects (reconnecting forever) and, unless `provision: false`, provisions every runlog stream. */
  static async connect(
    options: BusOptions,
    { provision = true }: { provision?: boolean } = {},
  ): Promise<Bus> {
    const nc = await connectNats(options);
    try {
      const bus = new Bus(nc, await jetstreamManager(nc), options);
      if (provision) await bus.provision();
      return bus;
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /**
   * Creates or updates the family streams, RUNLOG_INGEST and RUNLOG_DEADLETTER
   * ("info, then add or update": safe to run twice, or from replicas at once).
   */
  async provision(families: readonly Family[] = FAMILIES): Promise<void> {
    for (const family of families)
      await ensureStream(this.manager, familyStreamConfig(family, this.options));
    await ensureStream(this.manager, ingestStreamConfig(this.options));
    await ensureStream(this.manager, deadLetterStreamConfig(this.options));
  }

  /** Publishes one event with `Nats-Msg-Id` = its id: `{stream, cursor, duplicate}`. */
  publish(event: RunlogEvent): Promise<PublishResult> {
    return this.publisher.publish(event);
  }

  /** Pipelines events (bounded window) and answers per-event results in input order. */
  publishMany(events: readonly RunlogEvent[]): Promise<PublishManyResult[]> {
    return this.publisher.publishMany(events);
  }

  /**
   * Publishes an event on its `live.*` subject (core NATS, at most once, never stored):
   * engine lifecycle kinds and raw agent events (DESIGN.md §3). Throws when the
   * connection refuses it.
   */
  publishLive(event: RunlogEvent): void {
    publishLive(this.connection, event);
  }

  /** Waits until the server has seen everything written so far (live publishes included). */
  flush(): Promise<void> {
    return this.connection.flush();
  }

  /**
   * A round trip to the server, bounded by `timeoutMs`: answers the server's address, or
   * throws when the connection is closed or the server does not answer in time.
   */
  async ping(timeoutMs: number): Promise<{ server: string }> {
    const nc = this.connection;
    if (nc.isClosed() || nc.isDraining()) throw new Error('the NATS connection is closed');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        nc.flush(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer from NATS in ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return { server: nc.getServer() };
  }

  /** A stream's info, or `undefined` when it does not exist. */
  async streamInfo(stream: string): Promise<StreamInfo | undefined> {
    try {
      return await this.manager.streams.info(stream);
    } catch (error) {
      if (isStreamNotFound(error)) return undefined;
      throw error;
    }
  }

  /** A durable consumer's info, or `undefined` when it (or its stream) does not exist. */
  async consumerInfo(stream: string, durable: string): Promise<ConsumerInfo | undefined> {
    try {
      return await this.manager.consumers.info(stream, durable);
    } catch (error) {
      if (isConsumerNotFound(error) || isStreamNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The durable consumers of a stream (ordered consumers of replays and tails left out). */
  async durables(stream: string): Promise<ConsumerInfo[]> {
    const found: ConsumerInfo[] = [];
    for await (const info of this.manager.consumers.list(stream))
      if (info.config.durable_name) found.push(info);
    return found;
  }

  /**
   * The sequence of the first message stored on `subject` at or after `fromSeq` in
   * `stream`, or `undefined` when there is none (a direct get: any replica answers).
   */
  async nextSeqOnSubject(
    stream: string,
    subject: string,
    fromSeq: number,
  ): Promise<number | undefined> {
    const message = await this.manager.direct.getMessage(stream, {
      next_by_subj: subject,
      seq: fromSeq,
    });
    return message?.seq;
  }

  /** A JetStream key-value bucket, created if missing ("create" is idempotent for the same config). */
  keyValue(bucket: string, options: { history: number; replicas: number }): Promise<KV> {
    return new Kvm(this.connection).create(bucket, options);
  }

  /**
   * The escape hatch: the connection, JetStream client and manager the bus owns. Apps use
   * the methods above; this is for the rare call they do not cover.
   */
  unwrap(): {
    readonly connection: NatsConnection;
    readonly js: JetStreamClient;
    readonly manager: JetStreamManager;
  } {
    return { connection: this.connection, js: this.js, manager: this.manager };
  }

  /**
   * Binds a durable pull consumer to a family stream and starts it, together with its
   * re-drive consumer for replayed dead letters (docs/decisions.md D3).
   */
  consume<F extends Family>(spec: ConsumerSpec<F>): Promise<RunningConsumer> {
    const binding = eventBinding(spec);
    return this.startConsumers(
      (source) => new DurableConsumer(spec, binding, source, this.consumerDeps()),
      { stream: streamName(spec.family), durable: spec.durable, filterSubject: spec.filterSubject },
      {
        durable: redriveDurable(spec.durable, spec.family),
        filterSubject: redriveSubject(spec.durable, spec.family),
      },
    );
  }

  /**
   * Binds a durable pull consumer of raw messages (bytes and headers) to any stream, with
   * the same runtime as {@link consume}, and its re-drive consumer on `redrive.<durable>.>`:
   * what it dead-letters and an operator replays comes back to the same handler.
   */
  consumeRaw(spec: RawConsumerSpec): Promise<RunningConsumer> {
    const binding = rawBinding(spec);
    return this.startConsumers(
      (source) => new DurableConsumer(spec, binding, source, this.consumerDeps()),
      { stream: spec.stream, durable: spec.durable, filterSubject: spec.filterSubject },
      {
        durable: rawRedriveDurable(spec.durable),
        filterSubject: redriveSubject(spec.durable, '>'),
      },
    );
  }

  private consumerDeps(): DurableConsumerDeps {
    return {
      nc: this.connection,
      js: this.js,
      jsm: this.manager,
      publisher: this.publisher,
      metrics: this.metrics,
      logger: this.options.logger ?? CONSOLE_BUS_LOGGER,
    };
  }

  /** Starts a consumer and its re-drive twin on RUNLOG_DEADLETTER; stops both on `stop()`. */
  private async startConsumers(
    create: (source: ConsumerSource) => { start(): Promise<void>; stop(): Promise<void> },
    main: Omit<ConsumerSource, 'redrive'>,
    redrive: { readonly durable: string; readonly filterSubject: string },
  ): Promise<RunningConsumer> {
    const first = create({ ...main, redrive: false });
    const twin = create({ stream: DEADLETTER_STREAM, ...redrive, redrive: true });
    await first.start();
    try {
      await twin.start();
    } catch (error) {
      await first.stop();
      throw error;
    }
    const running: RunningConsumer = {
      stop: async () => {
        this.consumers.delete(running);
        await Promise.all([first.stop(), twin.stop()]);
      },
    };
    this.consumers.add(running);
    return running;
  }

  /**
   * The largest encoded event one NATS message can carry on this connection: the server's
   * `max_payload` less room for headers and the subject (which it counts too).
   */
  get maxEventBytes(): number {
    return (this.connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - HEADROOM_BYTES;
  }

  /** Replays a family from a cursor, then tails it live (typed, in stream order). */
  subscribe<F extends Family>(
    family: F,
    options: SubscribeOptions = {},
  ): AsyncGenerator<TailItem<F>> {
    return subscribe(this.js, family, options);
  }

  /** Shutdown (DESIGN.md §5): stop every consumer (finishing in-flight work), then drain the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
      this.publisher.close();
      if (this.connection.isClosed()) return;
      // Drain flushes pending acks; with NATS unreachable it cannot finish, so it is bounded.
      const drained = await within(
        DRAIN_TIMEOUT_MS,
        this.connection.drain().then(
          () => true,
          (error: unknown) => {
            this.logger.warn(`drain failed: ${String(error)}`);
            return false;
          },
        ),
      );
      if (!drained && !this.connection.isClosed()) {
        this.logger.warn(`could not drain within ${DRAIN_TIMEOUT_MS} ms; closing`);
        await this.connection.close().catch(() => undefined);
      }
    })();
    return this.closing;
  }
}
