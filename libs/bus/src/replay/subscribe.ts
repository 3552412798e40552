import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import {
  decode,
  type DeliveredEvent,
  type Family,
  familySubject,
  familySubjectFilter,
  type SubjectKey,
  streamName,
  type ValidationError,
} from '@runlog/contracts';

export interface SubscribeOptions {
  /** Start after this cursor (exclusive); absent: from the start of the stream. */
  readonly after?: string;
  /** With no `after`: start at the end of the stream (only events published from now on). */
  readonly fromEnd?: boolean;
  /** Only this partition key (`execution_id`, or `[thread_id, run_id]` for agent/canonical). */
  readonly key?: SubjectKey;
  /** Heartbeat of the ordered consumer: how fast a NATS restart is noticed and healed (default 1 s). */
  readonly idleHeartbeatMs?: number;
  /** Stops the iteration when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * What a subscription yields, in stream order: events; once, `caught_up` when the replay
 * reaches the end of the stream (live events follow); and `undecodable` for a stored
 * message that no longer decodes (never skipped in silence).
 */
export type TailItem<F extends Family> =
  | { readonly type: 'event'; readonly event: DeliveredEvent<F> }
  | { readonly type: 'caught_up'; readonly cursor: string }
  | {
      readonly type: 'undecodable';
      readonly cursor: string;
      readonly errors: readonly ValidationError[] | string;
    };

const decoder = new TextDecoder();

/**
 * Replays a family from a cursor and then tails it live, through an ordered consumer
 * (DESIGN.md §5). The ordered consumer recreates itself after a NATS restart from the last
 * sequence it delivered, so there is no gap and no duplicate across reconnects.
 */
export async function* subscribe<F extends Family>(
  js: JetStreamClient,
  family: F,
  options: SubscribeOptions = {},
): AsyncGenerator<TailItem<F>> {
  const { signal } = options;
  const after = options.after === undefined ? 0 : parseCursor(options.after);
  if (signal?.aborted) return;
  const stream = streamName(family);
  const filter =
    options.key === undefined ? familySubjectFilter(family) : familySubject(family, options.key);
  const consumer = await js.consumers.get(stream, {
    filter_subjects: filter,
    ...(after > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 }
      : { deliver_policy: options.fromEnd === true ? DeliverPolicy.New : DeliverPolicy.All }),
  });
  const heartbeat = options.idleHeartbeatMs ?? 1_000;
  try {
    // Nothing to replay: caught up at once (an ordered consumer says nothing until a message arrives).
    const info = await consumer.info(true);
    let caughtUp = false;
    if (info.num_pending === 0) {
      caughtUp = true;
      yield { type: 'caught_up', cursor: String(Math.max(after, info.delivered.stream_seq)) };
    }
    // The caller may have aborted while handling what was yielded so far.
    if (signal?.aborted) return;
    const messages = await consumer.consume({
      idle_heartbeat: heartbeat,
      expires: Math.max(heartbeat * 5, 5_000),
      max_messages: 256,
    });
    const abort = (): void => messages.stop();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const message of messages) {
        // Messages already fetched keep coming after stop(): an abort ends the iteration now.
        if (signal?.aborted) break;
        yield toItem<F>(family, message);
        if (!caughtUp && message.info.pending === 0) {
          caughtUp = true;
          yield { type: 'caught_up', cursor: String(message.seq) };
        }
      }
    } finally {
      signal?.removeEventListener('abort', abort);
      messages.stop();
    }
  } finally {
    // nats.js leaves an ordered consumer on the server for 5 minutes of inactivity: a
    // subscription that ends (an SSE client gone, say) removes its own at once.
    await consumer.delete().catch(() => undefined);
  }
}

function toItem<F extends Family>(family: F, message: JsMsg): TailItem<F> {
  const cursor = String(message.seq);
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(message.data));
  } catch (error) {
    return { type: 'undecodable', cursor, errors: `body is not JSON: ${String(error)}` };
  }
  const result = decode(json);
  if (!result.ok) return { type: 'undecodable', cursor, errors: result.errors };
  if (result.value.family !== family)
    return { type: 'undecodable', cursor, errors: `not a ${family} event` };
  return { type: 'event', event: { ...result.value, cursor } as unknown as DeliveredEvent<F> };
}

/** A cursor is a decimal stream sequence (DESIGN.md §2). */
export function parseCursor(cursor: string): number {
  if (!/^(0|[1-9]\d{0,15})$/.test(cursor))
    throw new RangeError(`not a cursor: "${cursor}" (a decimal stream sequence)`);
  return Number(cursor);
}
