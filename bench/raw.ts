// The baselines: nats.js v3 used directly, as PERF.md measured it.
import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import {
  type BenchContext,
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
  const deadline = started + ctx.budgetMs;
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && performance.now() < deadline) {
      const item = items[next++];
      if (!item) return;
      await ctx.js.publish(item.subject, JSON.stringify(item.envelope), { msgID: item.id });
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(WINDOW, items.length) }, lane));
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
