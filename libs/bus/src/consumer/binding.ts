import { type JsMsg } from '@nats-io/jetstream';
import {
  decode,
  decodeStored,
  type DeliveredEvent,
  type Family,
  streamName,
} from '@runlog/contracts';
import { type Origin } from '../dead-letter/dead-letter-writer';
import { type ConsumerSpec, type RawConsumerSpec, type RawMessage } from './consumer-spec';
import { type BatchContext, type EventContext } from './context';
import { describe } from './isolate';
import { type Outcome } from './outcome';

/** One message read, or why it cannot be handled (it is dead-lettered, `decode_failed`). */
export type Read<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/**
 * What a durable consumer does with what it reads: decode each message, then call the
 * handler. The runtime around it (pull, acks, retries and backoff, dead letters, bisection,
 * gaps) is the same for typed events and for raw messages.
 */
export interface Binding<T> {
  /** Messages handed to one call of the handler. */
  readonly size: number;
  /** The handler takes arrays (its batch sizes are measured). */
  readonly batched: boolean;
  /** The stream a re-driven dead letter came from, when its headers do not say. */
  readonly homeStream: string;
  /** The family whose stream is read for gaps; none where gaps cannot be told (work-queue). */
  readonly gapFamily: Family | undefined;
  deadLetterFamily(origin: Origin): Family | 'unknown';
  read(message: JsMsg, origin: Origin): Read<T>;
  handle(
    values: readonly T[],
    contexts: readonly EventContext[],
    batch: BatchContext,
  ): Promise<readonly Outcome[]>;
}

const decoder = new TextDecoder();

/** Typed events of one family: decoded (`validate`) and handled one at a time or in batches. */
export function eventBinding<F extends Family>(spec: ConsumerSpec<F>): Binding<DeliveredEvent<F>> {
  const { handler, family } = spec;
  return {
    size: handler.mode === 'batch' ? handler.size : 1,
    batched: handler.mode === 'batch',
    homeStream: streamName(family),
    gapFamily: family === 'agent' ? undefined : family,
    deadLetterFamily: () => family,
    read: (message, origin) => readEvent(spec, message, origin),
    async handle(events, contexts, batch) {
      if (handler.mode === 'event') {
        const [event] = events as [DeliveredEvent<F>];
        const [context] = contexts as [EventContext];
        return [(await handler.handle(event, context)) ?? { type: 'ack' }];
      }
      const outcome = (await handler.handle(events, batch)) ?? { type: 'ack' };
      return Array.isArray(outcome)
        ? (outcome as readonly Outcome[])
        : events.map(() => outcome as Outcome);
    },
  };
}

/** Raw messages of any stream: bytes and headers, handled in batches (async ingress). */
export function rawBinding(spec: RawConsumerSpec): Binding<RawMessage> {
  return {
    size: spec.handler.size,
    batched: true,
    homeStream: spec.stream,
    gapFamily: undefined,
    deadLetterFamily: (origin) => spec.deadLetterFamily(origin.subject),
    read: (message, origin) => ({
      ok: true,
      value: {
        subject: origin.subject,
        cursor: origin.cursor,
        data: message.data,
        headers: message.headers,
        deliveryCount: message.info.deliveryCount,
      },
    }),
    async handle(messages, _contexts, batch) {
      const outcomes = await spec.handler.handle(messages, batch);
      if (outcomes.length !== messages.length)
        throw new Error(`the handler answered ${outcomes.length} outcomes for ${messages.length}`);
      return outcomes;
    },
  };
}

function readEvent<F extends Family>(
  spec: ConsumerSpec<F>,
  message: JsMsg,
  origin: Origin,
): Read<DeliveredEvent<F>> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(message.data));
  } catch (error) {
    return { ok: false, error: `body is not JSON: ${describe(error)}` };
  }
  const result = spec.validate === 'full' ? decode(json) : decodeStored(json);
  if (!result.ok) return { ok: false, error: `invalid event: ${JSON.stringify(result.errors)}` };
  if (result.value.family !== spec.family)
    return { ok: false, error: `a ${result.value.family} event in the ${spec.family} stream` };
  return {
    ok: true,
    value: { ...result.value, cursor: origin.cursor } as unknown as DeliveredEvent<F>,
  };
}
