// The baselines: nats.js v3 used directly, as PERF.md measured it.
import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import {
  DURABLES,
  encode,
  HEADERS,
  INGEST_STREAM,
  ingestSubject,
  type RunlogEvent,
} from '../libs/contracts/src';
import {
  type BenchContext,
  inLanes,
  type Measurement,
  measured,
  prepareStream,
  rawItems,
  STREAM,
  traceEvents,
  WINDOW,
  within,
} from './setup';

/** The durable config runlog's consumers get (provision.ts), so only the client side differs. */
function durableConfig(durable: string): Partial<ConsumerConfig> {
  return {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000 * 1_000_000,
    max_deliver: -1,
    max_ack_pending: 1_000,
  };
}

/** 1. `await js.publish()` one at a time, with `msgID`. */
export async function rawPublishAwait(ctx: BenchContext, id: number): Promise<Measurement> {
  await prepareStream(ctx, 0, 'raw-await');
  const items = rawItems(traceEvents(ctx.nOne, `${ctx.tag}-raw-await`));
  const started = performance.now();
  const deadline = started + ctx.budgetMs;
  let done = 0;
  for (const item of items) {
    await ctx.js.publish(item.subject, JSON.stringify(item.envelope), { msgID: item.id });
    done++;
    if (performance.now() > deadline) break;
  }
  return measured(id, 'raw await js.publish()', 'raw', done, started, done === items.length);
}

/** 2. `js.publish()` pipelined: {@link WINDOW} lanes, each awaiting its own publish, with `msgID`. */
export async function rawPublishPipelined(
  ctx: BenchContext,
  id: number,
  label = 'raw-pipe',
): Promise<Measurement> {
  await prepareStream(ctx, 0, label);
  const items = rawItems(traceEvents(ctx.n, `${ctx.tag}-${label}`));
  const started = performance.now();
  const done = await inLanes(
    items,
    WINDOW,
    (item) => ctx.js.publish(item.subject, JSON.stringify(item.envelope), { msgID: item.id }),
    started + ctx.budgetMs,
  );
  return measured(
    id,
    `raw js.publish() pipelined (window ${WINDOW})`,
    'raw',
    done,
    started,
    done === items.length,
  );
}

/**
 * 5 and 6. A fresh durable pull consumer over `n` stored events, each acked; timed from
 * creating the durable until all `n` are acked and the acks flushed to the server.
 */
export async function rawConsume(
  ctx: BenchContext,
  id: number,
  mode: 'iterator' | 'callback',
): Promise<Measurement> {
  const label = `raw-${mode}`;
  await prepareStream(ctx, ctx.n, label);
  const durable = `bench_${label}_${ctx.tag}`;
  // The same pull size as the runlog row this one is compared with (event: 128, batch 100: 200).
  const maxMessages = mode === 'iterator' ? 128 : 200;
  let acked = 0;
  const started = performance.now();
  await ctx.jsm.consumers.add(STREAM, durableConfig(durable));
  const consumer = await ctx.js.consumers.get(STREAM, durable);
  let complete: boolean;
  let ended: number;
  if (mode === 'iterator') {
    const messages = await consumer.consume({ max_messages: maxMessages });
    const timer = setTimeout(() => void messages.stop(), ctx.budgetMs);
    for await (const message of messages) {
      message.ack();
      if (++acked >= ctx.n) break;
    }
    clearTimeout(timer);
    complete = acked >= ctx.n;
    await ctx.nc.flush();
    ended = performance.now();
    await messages.close();
  } else {
    let finish: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (finish = resolve));
    const messages = await consumer.consume({
      max_messages: maxMessages,
      callback: (message: JsMsg) => {
        message.ack();
        if (++acked === ctx.n) finish();
      },
    });
    complete = await within(all, ctx.budgetMs);
    await ctx.nc.flush();
    ended = performance.now();
    await messages.close();
  }
  const row = measured(
    id,
    `raw consume() ${mode === 'iterator' ? 'for await' : '{callback}'}, ack each`,
    'raw',
    acked,
    started,
    complete,
    ended,
  );
  await ctx.jsm.consumers.delete(STREAM, durable);
  return row;
}

/** Publishes `events` to their ingress subjects (untimed), {@link WINDOW} in flight. */
export async function fillIngress(
  ctx: BenchContext,
  events: readonly RunlogEvent[],
): Promise<void> {
  await inLanes(events, WINDOW, (event) =>
    ctx.js.publish(ingestSubject('trace', event.subject), JSON.stringify(encode(event)), {
      msgID: event.id,
    }),
  );
}

/** max_ack_pending of runlog's `ingest` durable (apps/ingest async-ingress.ts). */
const INGRESS_ACK_PENDING = 256;

/**
 * 22. The raw equivalent of async ingress (row 18), the server's share of it: a durable on
 * RUNLOG_INGEST with ingest's max_ack_pending, each message republished as is to
 * `events.trace.<key>` with its msgID and acked after the PubAck. No JSON is parsed and
 * nothing is validated, so it is as fast as routing can be on this server.
 */
export async function rawRoute(ctx: BenchContext, id: number): Promise<Measurement> {
  await prepareStream(ctx, 0, 'route');
  await ctx.jsm.streams.purge(INGEST_STREAM);
  await fillIngress(ctx, traceEvents(ctx.n, `${ctx.tag}-route-${id}-${performance.now()}`));
  const durable = `bench_route_${ctx.tag}`;
  // A work queue takes one unfiltered consumer: ingest's (row 18 made it) goes first.
  await ctx.jsm.consumers.delete(INGEST_STREAM, DURABLES.ingest).catch(() => false);
  await ctx.jsm.consumers.add(INGEST_STREAM, {
    ...durableConfig(durable),
    max_ack_pending: INGRESS_ACK_PENDING,
  });
  let routed = 0;
  let failed = 0;
  let finish: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const consumer = await ctx.js.consumers.get(INGEST_STREAM, durable);
  const messages = await consumer.consume({
    max_messages: INGRESS_ACK_PENDING,
    callback: (message: JsMsg) => {
      const msgID = message.headers?.get(HEADERS.msgId) ?? '';
      const subject = `events.${message.subject.slice('ingest.'.length)}`;
      ctx.js.publish(subject, message.data, { msgID }).then(
        () => {
          message.ack();
          if (++routed === ctx.n) finish();
        },
        () => {
          failed++;
          message.nak();
        },
      );
    },
  });
  const complete = await within(all, ctx.budgetMs * 3);
  await ctx.nc.flush();
  const ended = performance.now();
  await messages.close();
  await ctx.jsm.consumers.delete(INGEST_STREAM, durable);
  await ctx.jsm.streams.purge(INGEST_STREAM);
  if (failed > 0) throw new Error(`raw route: ${failed} publishes failed`);
  return measured(
    id,
    'raw route RUNLOG_INGEST -> family stream (no parsing)',
    'raw',
    routed,
    started,
    complete,
    ended,
  );
}
