import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { Bus, ensureConsumer, publishDeadLetter } from '@runlog/bus';
import {
  DURABLES,
  type Family,
  INGEST_STREAM,
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

/**
 * Async ingress (DESIGN.md §4): the durable `ingest` consumer on RUNLOG_INGEST
 * (`ingest.<family>.<key>`, work-queue). Each message goes through the same intake as
 * HTTP; a valid one is published to its family stream with the same msgID and then acked;
 * an invalid one is dead-lettered to `deadletter.ingest.<family>` with its errors and
 * acked (never retried forever); one JetStream cannot take yet is retried with backoff
 * and stays in RUNLOG_INGEST until it lands (never lost).
 */
@Injectable()
export class AsyncIngress implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AsyncIngress');
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

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
    const messages = await consumer.consume({ max_messages: MAX_ACK_PENDING });
    this.messages = messages;
    this.loop = (async () => {
      for await (const message of messages) await this.settle(message);
    })().catch((error: unknown) => this.logger.error(`async ingress stopped: ${describe(error)}`));
  }

  /** Stops pulling and lets the message in hand finish (the bus drains afterwards). */
  async onModuleDestroy(): Promise<void> {
    this.messages?.stop();
    await this.loop;
  }

  /** One message, whatever happens: an unexpected error parks it rather than stopping the loop. */
  private async settle(message: JsMsg): Promise<void> {
    try {
      await this.handle(message);
    } catch (error) {
      this.logger.error(`could not process ${message.subject}: ${describe(error)}`);
      await this.park(message, familyOfSubject(message.subject), [
        { path: '', code: 'invalid_value', message: `could not be processed: ${describe(error)}` },
      ]);
    }
  }

  private async handle(message: JsMsg): Promise<void> {
    const family = familyOfSubject(message.subject);
    const parsed = parse(message);
    if (!parsed.ok) return this.park(message, family, parsed.errors);
    const named = familyOfInput(parsed.input);
    if (named !== undefined && family !== 'unknown' && named !== family) {
      return this.park(message, family, [
        {
          path: 'type',
          code: 'invalid_value',
          message: `a ${named} event was published to ${message.subject}; use ingest.${named}.<key>`,
        },
      ]);
    }
    const validated = this.intake.validate([parsed.input]);
    if (!validated.ok)
      return this.park(message, family, [...(validated.rejected[0]?.errors ?? [])]);
    const { failed } = await this.intake.publish(validated.events);
    if (failed.length === 0) {
      message.ack();
      return;
    }
    this.retry(message, failed.map((f) => f.message).join('; '));
  }

  /** Dead-letters invalid input with its errors, then acks; if parking fails, retries. */
  private async park(
    message: JsMsg,
    family: Family | 'unknown',
    errors: readonly ValidationError[],
  ): Promise<void> {
    try {
      await publishDeadLetter(this.bus.publisher, {
        consumer: DURABLES.ingest,
        family,
        cause: 'decode_failed',
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
