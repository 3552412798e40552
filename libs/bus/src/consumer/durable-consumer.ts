import {
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_HEADERS, type DeadLetterCause } from '../dead-letter/dead-letter-format';
import { type Origin, publishDeadLetter } from '../dead-letter/dead-letter-writer';
import { type BusLoggerFactory, type BusLogger, CONSOLE_BUS_LOGGER } from '../logging/bus-logger';
import { type BusMetrics, NOOP_BUS_METRICS } from '../metrics/bus-metrics';
import { ensureConsumer } from '../provisioning/provision';
import { type Publisher } from '../publisher/publisher';
import { within } from '../within';
import { type Binding } from './binding';
import { type ConsumerOptions, DEFAULT_ACK_WAIT_MS } from './consumer-spec';
import { BatchContext, EventContext } from './context';
import { GapDetector } from './gap-detector';
import { describe, isolate, type Verdict } from './isolate';
import { type Outcome } from './outcome';

/** Where a durable consumer reads: its family stream, or its re-drive subject in RUNLOG_DEADLETTER. */
export interface ConsumerSource {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject?: string;
  /** Messages are re-driven dead letters: their origin is in the dead-letter headers. */
  readonly redrive: boolean;
}

export interface DurableConsumerDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly publisher: Publisher;
  readonly metrics?: BusMetrics;
  readonly logger?: BusLoggerFactory;
}

interface Decoded<T> {
  readonly message: JsMsg;
  readonly origin: Origin;
  readonly value?: T;
  readonly error?: string;
}

/** The server's own redelivery limit is off: the runtime dead-letters at `maxDeliver` (docs/decisions.md D8). */
const SERVER_MAX_DELIVER = -1;
/**
 * How long a pull request lives on the server (its idle heartbeat is half of it), for
 * every `consume()` on a durable: pass it as `expires`. nats.js waits this long before
 * asking again when a request is lost: two missed heartbeats, or a consumer info that
 * fails after a reconnect while the consumer's leader is being elected in a cluster. Its
 * default, 30 s, stalled a projection for as long after a kill -9 of the node leading its
 * durable (test/faults); 5 s bounds that stall, for one small pull request every 5 s
 * while idle.
 */
export const PULL_EXPIRES_MS = 5_000;
/** How long stop() waits for the server to drop the pull request before handing messages back. */
const HAND_BACK_WAIT_MS = 2_000;

/**
 * One durable pull consumer with explicit ack, bound to one stream (DESIGN.md §5):
 * pulls, reads each message through its binding (typed events, or raw bytes and
 * headers), calls the handler, and maps its outcome to ack, nak with backoff, or dead
 * letter + ack. A failure is never acked; nothing is dropped.
 */
export class DurableConsumer<T> {
  private readonly logger: BusLogger;
  private readonly metrics: BusMetrics;
  private readonly queue: JsMsg[] = [];
  /** Idle workers, each waiting for a message (or for stop()). */
  private idle: Array<() => void> = [];
  private messages: ConsumerMessages | undefined;
  private workers: Promise<void>[] = [];
  private running = false;
  /** stop() gave up waiting for a handler: stop keeping its messages alive. */
  private abandoned = false;
  private readonly gaps: GapDetector | undefined;
  private readonly maxDeliver: number;
  private readonly ackWaitMs: number;
  /** Handled messages whose ack is not yet sent: sent together (one socket write), see ack(). */
  private readonly acks: JsMsg[] = [];
  private ackFlush: NodeJS.Immediate | undefined;

  constructor(
    private readonly spec: ConsumerOptions,
    private readonly binding: Binding<T>,
    private readonly source: ConsumerSource,
    private readonly deps: DurableConsumerDeps,
  ) {
    this.logger = (deps.logger ?? CONSOLE_BUS_LOGGER)(`Consumer ${source.durable}`);
    this.metrics = deps.metrics ?? NOOP_BUS_METRICS;
    this.maxDeliver = spec.maxDeliver ?? 5;
    this.ackWaitMs = spec.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    const gapFamily =
      source.redrive || source.filterSubject !== undefined ? undefined : binding.gapFamily;
    this.gaps = gapFamily
      ? new GapDetector(deps.jsm, source.stream, gapFamily, source.durable, async (gap) => {
          this.logger.warn(
            `gap in ${source.stream}: cursors ${gap.from_cursor}..${gap.to_cursor} were removed before ${source.durable} read them`,
          );
          this.metrics.gap(source.durable, gapFamily, gap.missing);
          await spec.onGap?.(gap);
        })
      : undefined;
  }

  /** Provisions the durable ("info, then add or update") and starts pulling. */
  async start(): Promise<void> {
    // A new durable starts at the stream's first message and records it: what retention
    // removed before the durable existed is history it never had, not a gap (decisions D9).
    // Only where gaps are detected: a work-queue stream (agent) takes deliver-all consumers only.
    const startSeq = this.gaps
      ? Math.max(1, (await this.deps.jsm.streams.info(this.source.stream)).state.first_seq)
      : undefined;
    const info = await ensureConsumer(this.deps.jsm, {
      stream: this.source.stream,
      durable: this.source.durable,
      ...(this.source.filterSubject ? { filterSubject: this.source.filterSubject } : {}),
      ackWaitMs: this.ackWaitMs,
      maxDeliver: SERVER_MAX_DELIVER,
      maxAckPending: this.spec.maxAckPending ?? 1_000,
      ...(startSeq === undefined ? {} : { startSeq }),
    });
    this.gaps?.startAfter(
      Math.max(info.ack_floor.stream_seq, (info.config.opt_start_seq ?? 1) - 1),
    );
    const consumer = await this.deps.js.consumers.get(this.source.stream, this.source.durable);
    this.running = true;
    const pull = this.binding.batched ? Math.max(this.binding.size * 2, 64) : 128;
    this.messages = await consumer.consume({
      max_messages: Math.min(pull, this.spec.maxAckPending ?? 1_000),
      expires: PULL_EXPIRES_MS,
      // Synchronous by contract (NATS-NOTES.md): queue and let the workers do the async part.
      callback: (message) => {
        if (!this.running) return this.handBack(message); // arrived after stop()
        this.queue.push(message);
        this.idle.shift()?.();
      },
    });
    const concurrency = Math.max(1, this.spec.concurrency ?? 1);
    this.workers = Array.from({ length: concurrency }, () => this.work());
  }

  /**
   * Stops pulling, finishes and acks in-flight work (up to `stopTimeoutMs`), and hands
   * back what was queued but not started.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.messages?.stop();
    for (const wake of this.idle.splice(0)) wake();
    // Hand back what was queued only once the server has dropped our pull request:
    // before that, a nak is redelivered straight back into it and sits unacked.
    // Bounded: while NATS is unreachable neither can complete (the naks then fail, and the
    // server redelivers after ack_wait).
    await within(
      HAND_BACK_WAIT_MS,
      (async () => {
        await this.messages?.closed();
        await this.deps.nc.flush();
      })(),
    );
    for (const message of this.queue.splice(0)) this.handBack(message);
    const timeoutMs = this.spec.stopTimeoutMs ?? 15_000;
    const finished = await within(
      timeoutMs,
      Promise.all(this.workers).then(() => true),
    );
    this.flushAcks(); // the last handlers' acks, before the caller drains or closes the connection
    if (!finished) {
      this.abandoned = true;
      this.logger.warn(
        `in-flight work did not finish within ${timeoutMs} ms; left unacked for redelivery`,
      );
    }
  }

  /** Gives a message back to the server for another delivery now (not counted as a failure). */
  private handBack(message: JsMsg): void {
    try {
      message.nak();
    } catch {
      // The connection is gone: the server redelivers after ack_wait anyway.
    }
  }

  private async work(): Promise<void> {
    while (this.running) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => this.idle.push(resolve));
        continue;
      }
      const { size } = this.binding;
      // A batch handler gets what has arrived by the next turn of the event loop: socket
      // reads already waiting get in first. Without it, a handler that works on this thread
      // (PGlite) gets only what one socket read brought (~100 events) while the rest of
      // what the server sent waits behind it.
      if (size > 1 && this.queue.length < size) await nextTurn();
      if (!this.running) continue; // stop() hands back what is queued
      const batch = this.queue.splice(0, size).sort((a, b) => a.seq - b.seq);
      this.metrics.delivered(this.source.durable, batch.length);
      const settled = new Set<JsMsg>();
      try {
        await this.handle(batch, settled);
      } catch (error) {
        // Only infrastructure fails here (a dead-letter publish, a gap hook): hand back
        // the messages not settled yet.
        const left = batch.filter((message) => !settled.has(message));
        this.logger.error(`could not settle ${left.length} message(s): ${describe(error)}`);
        for (const message of left) this.retry(message, describe(error));
      }
    }
  }

  private async handle(batch: JsMsg[], settled: Set<JsMsg>): Promise<void> {
    const decoded = batch.map((message) => this.decode(message));
    const ready: Decoded<T>[] = [];
    for (const item of decoded) {
      if (item.error === undefined) ready.push(item);
      else {
        await this.deadLetter(item, 'decode_failed', item.error ?? 'undecodable');
        settled.add(item.message);
      }
    }
    if (ready.length === 0) return;
    if (this.gaps) {
      for (const item of ready) await this.gaps.observe(item.message);
    }
    const keepAlive = setInterval(
      () => {
        if (this.abandoned) return clearInterval(keepAlive);
        try {
          for (const item of ready) if (!settled.has(item.message)) item.message.working();
        } catch (error) {
          this.logger.warn(`could not extend the ack wait: ${describe(error)}`);
        }
      },
      Math.max(1_000, this.ackWaitMs / 3),
    );
    // One delay for the messages of an outage, so they come back together as one batch.
    let outageDelay: number | undefined;
    try {
      // A failing batch is bisected: the good events are committed and acked in stream
      // order, only the failing ones are retried or parked (isolate.ts).
      await isolate(
        ready,
        (part) => this.invoke(part),
        this.spec.classifyError ?? (() => 'unknown'),
        async (part, verdicts) => {
          for (const [index, item] of part.entries()) {
            const verdict = verdicts[index] ?? { type: 'ack' };
            if (verdict.type === 'outage')
              outageDelay ??= this.backoff(item.message.info.deliveryCount);
            await this.settle(item, verdict, outageDelay);
            settled.add(item.message);
          }
        },
      );
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Calls the handler on some messages; a throw is left to {@link isolate}. */
  private async invoke(items: readonly Decoded<T>[]): Promise<readonly Outcome[]> {
    const contexts = items.map((item) => this.context(item));
    const started = performance.now();
    try {
      if (this.binding.batched) this.metrics.batchSize(this.source.durable, items.length);
      return await this.binding.handle(
        items.map((item) => item.value as T),
        contexts,
        new BatchContext(this.source.durable, this.source.stream, contexts),
      );
    } finally {
      this.metrics.handlerSeconds(this.source.durable, (performance.now() - started) / 1000);
    }
  }

  private async settle(item: Decoded<T>, outcome: Verdict, outageDelay?: number): Promise<void> {
    const { message } = item;
    switch (outcome.type) {
      case 'ack':
        this.ack(message);
        return;
      case 'dead_letter':
        await this.deadLetter(item, outcome.cause ?? 'handler', outcome.reason);
        return;
      case 'poison':
        await this.deadLetter(item, 'poison', outcome.reason);
        return;
      case 'outage':
        // The store is down, not this event: retried however many deliveries it takes.
        this.retry(message, `store unavailable: ${outcome.reason}`, outageDelay);
        return;
      case 'retry':
        if (message.info.deliveryCount >= this.maxDeliver) {
          const reason = `max_deliver (${this.maxDeliver}) reached: ${outcome.reason ?? 'handler asked to retry'}`;
          await this.deadLetter(item, 'max_deliver', reason);
          return;
        }
        this.retry(message, outcome.reason, outcome.delayMs);
    }
  }

  /**
   * Queues the ack of a handled message; the acks queued while handlers run go out together,
   * in one socket write, as soon as the event loop gets to its next check phase (an ack
   * waits at most for the synchronous run it was queued in, not for a handler's I/O).
   * Why: nats.js writes its outbound buffer once per microtask turn in which something was
   * queued, so acks sent one by one from a chain of awaits cost a socket write each, the
   * largest single cost of a consumer with a fast handler (PERF.md). An ack sent a little
   * later changes nothing but timing: until it is sent the message stays unacked, as before.
   */
  private ack(message: JsMsg): void {
    this.acks.push(message);
    this.ackFlush ??= setImmediate(() => this.flushAcks());
  }

  /** Sends the queued acks (also from stop(), after the last handler). */
  private flushAcks(): void {
    if (this.ackFlush) clearImmediate(this.ackFlush);
    this.ackFlush = undefined;
    const acks = this.acks.splice(0);
    let acked = 0;
    let failure: unknown;
    for (const message of acks) {
      try {
        message.ack();
        acked++;
      } catch (error) {
        failure ??= error; // the connection is gone: the server redelivers after ack_wait
      }
    }
    if (acked > 0) this.metrics.acked(this.source.durable, acked);
    if (failure !== undefined) {
      this.logger.warn(
        `could not ack ${acks.length - acked} handled message(s), redelivered after the ack wait: ${describe(failure)}`,
      );
    }
  }

  private retry(message: JsMsg, reason: string | undefined, delayMs?: number): void {
    const delay = delayMs ?? this.backoff(message.info.deliveryCount);
    this.logger.warn(
      `retrying ${message.info.stream}#${message.seq} in ${delay} ms (delivery ${message.info.deliveryCount}): ${reason ?? ''}`,
    );
    message.nak(delay);
    this.metrics.retried(this.source.durable, 1);
  }

  private backoff(deliveries: number): number {
    const { initialMs, maxMs } = this.spec.backoff ?? { initialMs: 500, maxMs: 30_000 };
    const exact = Math.min(maxMs, initialMs * 2 ** Math.max(0, deliveries - 1));
    return Math.round(exact * (0.8 + Math.random() * 0.4));
  }

  /** Parks the message with its reason, then acks it; if parking fails, the message is retried. */
  private async deadLetter(
    item: Decoded<T>,
    cause: DeadLetterCause,
    reason: string,
  ): Promise<void> {
    await publishDeadLetter(this.deps.publisher, {
      consumer: this.spec.durable,
      family: this.binding.deadLetterFamily(item.origin),
      cause,
      reason,
      origin: item.origin,
      message: item.message,
    });
    this.logger.warn(
      `dead-lettered ${item.origin.stream}#${item.origin.cursor} (${cause}): ${reason}`,
    );
    item.message.ack();
    this.metrics.deadLettered(this.source.durable, cause);
  }

  private decode(message: JsMsg): Decoded<T> {
    const origin = this.origin(message);
    const read = this.binding.read(message, origin);
    return read.ok
      ? { message, origin, value: read.value }
      : { message, origin, error: read.error };
  }

  private origin(message: JsMsg): Origin {
    if (!this.source.redrive)
      return { stream: message.info.stream, cursor: String(message.seq), subject: message.subject };
    const h = message.headers;
    return {
      stream: h?.get(DEAD_LETTER_HEADERS.stream) || this.binding.homeStream,
      cursor: h?.get(DEAD_LETTER_HEADERS.sequence) || '0',
      subject: h?.get(DEAD_LETTER_HEADERS.subject) || message.subject,
    };
  }

  private context(item: Decoded<T>): EventContext {
    return new EventContext(
      item.origin.cursor,
      item.origin.stream,
      item.origin.subject,
      item.message.info.deliveryCount,
      this.spec.durable,
      this.source.redrive,
      item.message,
    );
  }
}

/** Resolves in the check phase of this turn of the event loop, after pending I/O callbacks. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
