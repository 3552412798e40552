import { type MsgHdrs } from '@nats-io/transport-node';
import { type DeliveredEvent, type Family } from '@runlog/contracts';
import { type BatchContext, type EventContext } from './context';
import { type GapHook } from './gap';
import { type BatchOutcome, type Outcome } from './outcome';

/** The ack wait of a durable consumer that names none. */
export const DEFAULT_ACK_WAIT_MS = 30_000;

/** How a durable consumer binds and behaves (DESIGN.md §5). */
export interface ConsumerOptions {
  /** Durable consumer name (also names its dead letters: `deadletter.<durable>.<family>`). */
  readonly durable: string;
  /** One subject filter (`events.trace.req-1`); none for the whole family stream (gap detection needs none). */
  readonly filterSubject?: string;
  /** Deliveries before the message is dead-lettered (default 5). */
  readonly maxDeliver?: number;
  /** The server redelivers an unacked message after this long (default 30 s); long handlers are kept alive automatically. */
  readonly ackWaitMs?: number;
  /** Unacked messages the server lets this durable have out at once, across all instances (default 1000). */
  readonly maxAckPending?: number;
  /** Messages (or batches) handled at once by this instance (default 1: stream order). */
  readonly concurrency?: number;
  /** Retry delay after a failure: `initialMs * 2^(deliveries-1)` capped at `maxMs`, with jitter (default 500 ms .. 30 s). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * How much of the contract each message read is checked against: `'stored'` (default)
   * checks the envelope structure of what runlog stored (validated when it was published)
   * and skips the per-field schema; `'full'` runs `decode()` on every message.
   * A message that fails the check is dead-lettered (`decode_failed`), never handled.
   */
  readonly validate?: 'stored' | 'full';
  /**
   * How long `stop()` waits for in-flight handlers (default 15 s). A handler still running
   * then is abandoned unacked: the server redelivers its message after `ackWaitMs`.
   */
  readonly stopTimeoutMs?: number;
  /** Called for each gap seen by an unfiltered consumer; persist it. Also logged and counted. */
  readonly onGap?: GapHook;
  /**
   * Tells what a handler's thrown error means (docs/decisions.md, "poison or outage"):
   * `transient` (its store is down: retry the same events with backoff, never park them,
   * however many deliveries it takes), `poison` (the store refuses this event: when it
   * fails alone it is dead-lettered at once, cause `poison`), or `unknown` (the default
   * for every error: retried, parked after `maxDeliver`). Whatever the class, a failing
   * batch is bisected so only the events that fail alone are retried or parked; the rest
   * is committed and acked in stream order. `classifyStoreError` of @runlog/store is the
   * classifier for runlog's SQL stores.
   */
  readonly classifyError?: (error: unknown) => ErrorClass;
}

/** What a handler's failure means: the store is down, this event is refused, or not known. */
export type ErrorClass = 'transient' | 'poison' | 'unknown';

/** A handler of one event; resolving to nothing means ack. A throw is retried with backoff (see `classifyError`). */
export type EventHandler<F extends Family> = (
  event: DeliveredEvent<F>,
  context: EventContext,
) => Outcome | void | Promise<Outcome | void>;

/**
 * A handler of up to `size` events in stream order (one transaction per batch). When it
 * throws, the runtime calls it again on halves of the batch to isolate the failing events
 * (see `classifyError`): it must be safe to call again on part of a batch it failed on.
 */
export type BatchHandler<F extends Family> = (
  events: readonly DeliveredEvent<F>[],
  context: BatchContext,
) => BatchOutcome | void | Promise<BatchOutcome | void>;

export type HandlerBinding<F extends Family> =
  | { readonly mode: 'event'; readonly handle: EventHandler<F> }
  | { readonly mode: 'batch'; readonly size: number; readonly handle: BatchHandler<F> };

/** A consumer of one family: where to bind and what to call. */
export interface ConsumerSpec<F extends Family = Family> extends ConsumerOptions {
  readonly family: F;
  readonly handler: HandlerBinding<F>;
}

/** The knobs a service lets its deployers (and tests) turn on its own durable. */
export type ConsumerTuning = Pick<
  ConsumerOptions,
  'ackWaitMs' | 'maxAckPending' | 'backoff' | 'stopTimeoutMs'
>;

/**
 * One message as stored, for a consumer that reads bytes itself (raw mode): async
 * ingress, whose input is not a runlog event yet. For a re-driven dead letter, `subject`
 * and `cursor` are the original's.
 */
export interface RawMessage {
  readonly subject: string;
  readonly cursor: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly deliveryCount: number;
}

/**
 * A handler of up to `size` raw messages in stream order: one outcome per message, same
 * order. The same runtime as a typed consumer: retries with backoff, dead letters with
 * their cause, bisection of a batch that throws.
 */
export type RawBatchHandler = (
  messages: readonly RawMessage[],
  context: BatchContext,
) => readonly Outcome[] | Promise<readonly Outcome[]>;

/**
 * A durable consumer of raw messages on any stream (DESIGN.md §4, async ingress). Its
 * dead letters go to `deadletter.<durable>.<family>` with the family `deadLetterFamily`
 * reads off the message's subject; their re-drives (`redrive.<durable>.>`) come back to
 * the same handler.
 */
export interface RawConsumerSpec extends ConsumerOptions {
  readonly stream: string;
  readonly deadLetterFamily: (subject: string) => Family | 'unknown';
  readonly handler: { readonly size: number; readonly handle: RawBatchHandler };
}
