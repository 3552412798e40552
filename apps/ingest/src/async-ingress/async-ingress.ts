import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Bus, type BusError, Outcome, type RawMessage, type RunningConsumer } from '@runlog/bus';
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
const RETRY_MS = { initialMs: 500, maxMs: 15_000 } as const;
const decoder = new TextDecoder();

/** What one ingress message turned out to be. */
type Parsed =
  | { readonly ok: true; readonly input: unknown }
  | { readonly ok: false; readonly errors: ValidationError[] };

/** A message that is valid and ready to route, or invalid with the errors it is parked with. */
type Checked =
  | { readonly ok: true; readonly event: RunlogEvent }
  | { readonly ok: false; readonly errors: readonly ValidationError[] };

/**
 * Async ingress (DESIGN.md §4): the durable `ingest` consumer on RUNLOG_INGEST
 * (`ingest.<family>.<key>`, work-queue), on the bus's consumer runtime in raw mode
 * (decisions D47). Each message goes through the same intake as HTTP; a valid one is
 * published to its family stream with the same msgID and then acked; an invalid one is
 * dead-lettered to `deadletter.ingest.<family>` with its errors (`decode_failed`, never
 * retried); one JetStream cannot take yet is retried with backoff and stays in
 * RUNLOG_INGEST until it lands (never lost). A replayed dead letter comes back here.
 *
 * Messages are routed in micro-batches: whatever has arrived while the previous batch was
 * being published (up to {@link MAX_ACK_PENDING}) is validated and published pipelined in
 * arrival order. One at a time, every event would wait for its own JetStream round trip.
 */
@Injectable()
export class AsyncIngress implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: RunningConsumer | undefined;

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(IntakeService) private readonly intake: IntakeService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await this.bus.consumeRaw({
      stream: INGEST_STREAM,
      durable: DURABLES.ingest,
      ackWaitMs: ACK_WAIT_MS,
      // Invalid input is parked at once; valid input is retried until it lands.
      maxDeliver: Number.POSITIVE_INFINITY,
      maxAckPending: MAX_ACK_PENDING,
      backoff: RETRY_MS,
      // A batch that throws is bisected; a message that fails alone is parked (poison),
      // so one message never holds back the others.
      classifyError: () => 'poison',
      deadLetterFamily: familyOfSubject,
      handler: { size: MAX_ACK_PENDING, handle: (batch) => this.route(batch) },
    });
  }

  /** Stops pulling and lets the messages in hand finish (the bus drains afterwards). */
  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  /** Publishes the valid pipelined in arrival order; parks the invalid; retries what JetStream refused for now. */
  private async route(batch: readonly RawMessage[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const valid: Array<{ index: number; event: RunlogEvent }> = [];
    batch.forEach((message, index) => {
      const checked = this.check(message);
      if (checked.ok) valid.push({ index, event: checked.event });
      outcomes.push(
        checked.ok
          ? Outcome.ack()
          : Outcome.deadLetter(JSON.stringify(checked.errors), 'decode_failed'),
      );
    });
    if (valid.length === 0) return outcomes;
    const { failed } = await this.intake.publish(valid.map((item) => item.event));
    for (const failure of failed) {
      const item = valid[failure.index];
      if (item === undefined) continue;
      // JetStream will never take one too large for the stream or the server: parked
      // alone, the rest of the batch is not held back by it. Anything else is retried.
      outcomes[item.index] = refusedForGood(failure)
        ? Outcome.deadLetter(
            JSON.stringify([{ path: '', code: 'invalid_value', message: failure.message }]),
            'poison',
          )
        : Outcome.retry(undefined, failure.message);
    }
    return outcomes;
  }

  /** Decodes and validates one message through the same intake as HTTP. */
  private check(message: RawMessage): Checked {
    const family = familyOfSubject(message.subject);
    try {
      const parsed = parse(message);
      if (!parsed.ok) return parsed;
      const named = familyOfInput(parsed.input);
      if (named !== undefined && family !== 'unknown' && named !== family) {
        const errors: ValidationError[] = [
          {
            path: 'type',
            code: 'invalid_value',
            message: `a ${named} event was published to ${message.subject}; use ingest.${named}.<key>`,
          },
        ];
        return { ok: false, errors };
      }
      const validated = this.intake.validate([parsed.input]);
      if (!validated.ok) return { ok: false, errors: [...(validated.rejected[0]?.errors ?? [])] };
      const [event] = validated.events;
      if (event === undefined) throw new Error('validation returned no event');
      return { ok: true, event };
    } catch (error) {
      const errors: ValidationError[] = [
        { path: '', code: 'invalid_value', message: `could not be processed: ${describe(error)}` },
      ];
      return { ok: false, errors };
    }
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
function parse(message: RawMessage): Parsed {
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
