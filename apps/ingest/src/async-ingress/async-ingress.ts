import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import {
  Bus,
  type BusError,
  type DeadLetterCause,
  ensureConsumer,
  publishDeadLetter,
  PULL_EXPIRES_MS,
} from '@runlog/bus';
import {
  DURABLES,
  type Family,
  INGEST_STREAM,
  type RunlogEvent,
  isFamily,
  type ValidationError,
} from '@runlog/contracts';
import { BINARY_PREFIX, binaryModeEvent } from '../intake/binary-mode';
import { familyOfInput, IntakeService } from '../intake/intake.service';

/** Unacked ingress messages out at once; the server redelivers after this wait. */
const ACK_WAIT_MS = 30_000;
const MAX_ACK_PENDING = 256;
/** Retry delays while JetStream cannot take an event: it stays in RUNLOG_INGEST until it can. */
const RETRY_MS = { initial: 500, max: 15_000 } as const;
const decoder = new TextDecoder();

/** What one ingress message turned out to be. */
type Parsed =
  | { readonly ok: true; readonly input: unknown }
  | { readonly ok: false; readonly errors: ValidationError[] };

/** A message that is valid and ready to route, or invalid with the errors it is parked with. */
type Checked =
  | { readonly ok: true; readonly event: RunlogEvent }
  | {
      readonly ok: false;
      readonly family: Family | 'unknown';
      readonly errors: readonly ValidationError[];
    };

/**
 * Async ingress (DESIGN.md §4): the durable `ingest` consumer on RUNLOG_INGEST
 * (`ingest.<family>.<key>`, work-queue). Each message goes through the same intake as
 * HTTP; a valid one is published to its family stream with the same msgID and then acked;
 * an invalid one is dead-lettered to `deadletter.ingest.<family>` with its errors and
 * acked (never retried forever); one JetStream cannot take yet is retried with backoff
 * and stays in RUNLOG_INGEST until it lands (never lost).
 *
 * Messages are routed in micro-batches: whatever has arrived while the previous batch was
 * being published (up to {@link MAX_ACK_PENDING}) is validated and published pipelined in
 * arrival order, then each message is acked. One at a time, every event would wait for
 * its own JetStream round trip.
 */
@Injectable()
export class AsyncIngress implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AsyncIngress');
  private messages: ConsumerMessages | undefined;
  private readonly queue: JsMsg[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(IntakeService) private readonly intake: IntakeService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await ensureConsumer(this.bus.manager, {
      stream: INGEST_STREAM,
      durable: DURABLES.ingest,
      ackWaitMs: ACK_WAIT_MS,
      maxDeliver: -1, // invalid input is parked at once; valid input is retried until it lands
      maxAckPending: MAX_ACK_PENDING,
    });
    const consumer = await this.bus.js.consumers.get(INGEST_STREAM, DURABLES.ingest);
    // The server's max_ack_pending bounds the queue: nothing more arrives until some is acked.
    this.messages = await consumer.consume({
      max_messages: MAX_ACK_PENDING,
      // A pull request lost with the durable's leader (its node killed in a cluster) is
      // asked again after this, not after nats.js's default of 30 s.
      expires: PULL_EXPIRES_MS,
      callback: (message) => this.enqueue(message),
    });
  }

  /** Stops pulling and lets the messages in hand finish (the bus drains afterwards). */
  async onModuleDestroy(): Promise<void> {
    await this.messages?.close();
    await this.draining;
  }

  private enqueue(message: JsMsg): void {
    this.queue.push(message);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_ACK_PENDING);
      try {
        await this.route(batch);
      } catch (error) {
        // Unexpected: one message must not hold back the others. Route them one at a
        // time, in arrival order; one that fails alone is parked (poison), not retried forever.
        this.logger.error(
          `could not route ${batch.length} messages, isolating: ${describe(error)}`,
        );
        for (const message of batch) await this.routeAlone(message);
      }
    }
  }

  private async routeAlone(message: JsMsg): Promise<void> {
    try {
      await this.route([message]);
    } catch (error) {
      await this.park(message, familyOfSubject(message.subject), 'poison', [
        { path: '', code: 'invalid_value', message: `could not be routed: ${describe(error)}` },
      ]);
    }
  }

  /** Parks the invalid, publishes the valid pipelined in arrival order, then acks or retries each. */
  private async route(batch: readonly JsMsg[]): Promise<void> {
    const valid: Array<{ message: JsMsg; event: RunlogEvent }> = [];
    const parked: Array<Promise<void>> = [];
    for (const message of batch) {
      const checked = this.check(message);
      if (checked.ok) valid.push({ message, event: checked.event });
      else parked.push(this.park(message, checked.family, 'decode_failed', checked.errors));
    }
    if (valid.length > 0) {
      const { failed } = await this.intake.publish(valid.map((item) => item.event));
      const failures = new Map(failed.map((f) => [f.index, f]));
      valid.forEach(({ message, event }, index) => {
        const failure = failures.get(index);
        if (failure === undefined) message.ack();
        else if (refusedForGood(failure)) {
          // JetStream will never take this one (too large for the stream or the server):
          // parked alone, the rest of the batch is not held back by it.
          parked.push(
            this.park(message, event.family, 'poison', [
              { path: '', code: 'invalid_value', message: failure.message },
            ]),
          );
        } else this.retry(message, failure.message);
      });
    }
    await Promise.all(parked);
  }

  /** Decodes and validates one message through the same intake as HTTP. */
  private check(message: JsMsg): Checked {
    const family = familyOfSubject(message.subject);
    try {
      const parsed = parse(message);
      if (!parsed.ok) return { ok: false, family, errors: parsed.errors };
      const named = familyOfInput(parsed.input);
      if (named !== undefined && family !== 'unknown' && named !== family) {
        const errors: ValidationError[] = [
          {
            path: 'type',
            code: 'invalid_value',
            message: `a ${named} event was published to ${message.subject}; use ingest.${named}.<key>`,
          },
        ];
        return { ok: false, family, errors };
      }
      const validated = this.intake.validate([parsed.input]);
      if (!validated.ok)
        return { ok: false, family, errors: [...(validated.rejected[0]?.errors ?? [])] };
      const [event] = validated.events;
      if (event === undefined) throw new Error('validation returned no event');
      return { ok: true, event };
    } catch (error) {
      const errors: ValidationError[] = [
        { path: '', code: 'invalid_value', message: `could not be processed: ${describe(error)}` },
      ];
      return { ok: false, family, errors };
    }
  }

  /** Dead-letters invalid input with its errors, then acks; if parking fails, retries. */
  private async park(
    message: JsMsg,
    family: Family | 'unknown',
    cause: DeadLetterCause,
    errors: readonly ValidationError[],
  ): Promise<void> {
    try {
      await publishDeadLetter(this.bus.publisher, {
        consumer: DURABLES.ingest,
        family,
        cause,
        reason: JSON.stringify(errors),
        origin: { stream: INGEST_STREAM, cursor: String(message.seq), subject: message.subject },
        message,
      });
      message.ack();
      this.logger.warn(
        `dead-lettered ${message.subject} (${INGEST_STREAM}#${message.seq}): ${errors.map((e) => `${e.path || '(event)'} ${e.code}`).join(', ')}`,
      );
    } catch (error) {
      this.retry(message, `could not dead-letter: ${describe(error)}`);
    }
  }

  private retry(message: JsMsg, reason: string): void {
    const deliveries = message.info.deliveryCount;
    const delay = Math.min(RETRY_MS.max, RETRY_MS.initial * 2 ** Math.max(0, deliveries - 1));
    this.logger.warn(
      `retrying ${message.subject} (delivery ${deliveries}) in ${delay} ms: ${reason}`,
    );
    message.nak(delay);
  }
}

/**
 * A publish failure retrying cannot fix: the message exceeds the server's max_payload or
 * the stream's maximum message size. Anything else (no stream yet, a timeout, a closed
 * connection, a JetStream error) is JetStream being unavailable: retried until it lands.
 */
function refusedForGood(failure: { readonly code: string; readonly message: string }): boolean {
  return (
    failure.code === ('refused' satisfies BusError['code']) &&
    /max_payload|message size exceeds|maximum (message|payload) size/i.test(failure.message)
  );
}

/** `ingest.<family>.<key>` names the family; anything else is `unknown`. */
function familyOfSubject(subject: string): Family | 'unknown' {
  const token = subject.split('.')[1] ?? '';
  return isFamily(token) ? token : 'unknown';
}

/** A structured-mode JSON event, or a binary-mode one rebuilt from its `ce-*` headers. */
function parse(message: JsMsg): Parsed {
  let body: unknown;
  try {
    body = message.data.length === 0 ? undefined : JSON.parse(decoder.decode(message.data));
  } catch (error) {
    return {
      ok: false,
      errors: [
        { path: '', code: 'invalid_format', message: `the body is not JSON: ${describe(error)}` },
      ],
    };
  }
  const headers = message.headers;
  if (!headers?.has(`${BINARY_PREFIX}specversion`)) return { ok: true, input: body };
  const entries = [...headers].map(([name, values]) => [name, values.join(',')] as const);
  return { ok: true, input: binaryModeEvent(entries, body) };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
