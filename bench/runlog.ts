// The same work through runlog's Bus: Publisher (protocol-level pipelining) and DurableConsumer.
import { type HandlerBinding } from '../libs/bus/src';
import { DEADLETTER_STREAM } from '../libs/contracts/src';
import {
  type BenchContext,
  type Measurement,
  measured,
  prepareStream,
  STREAM,
  traceEvents,
  WINDOW,
  within,
} from './setup';

/** 3. `bus.publish()` one at a time. */
export async function runlogPublishAwait(ctx: BenchContext, id: number): Promise<Measurement> {
  await prepareStream(ctx, 0, 'runlog-await');
  const events = traceEvents(ctx.nOne, `${ctx.tag}-runlog-await`);
  const started = performance.now();
  const deadline = started + ctx.budgetMs;
  let done = 0;
  for (const event of events) {
    await ctx.bus.publish(event);
    done++;
    if (performance.now() > deadline) break;
  }
  return measured(
    id,
    'runlog await bus.publish()',
    'runlog',
    done,
    started,
    done === events.length,
  );
}

/** 4. `bus.publishMany()` over all `n` events (the Publisher's window is {@link WINDOW}). */
export async function runlogPublishMany(
  ctx: BenchContext,
  id: number,
  label = 'runlog-many',
): Promise<Measurement> {
  await prepareStream(ctx, 0, label);
  const events = traceEvents(ctx.n, `${ctx.tag}-${label}`);
  const started = performance.now();
  const results = await ctx.bus.publishMany(events);
  const ended = performance.now();
  const failed = results.filter((result) => !result.ok).length;
  if (failed > 0) throw new Error(`publishMany: ${failed} of ${events.length} events failed`);
  return measured(
    id,
    `runlog bus.publishMany() (window ${WINDOW})`,
    'runlog',
    events.length,
    started,
    true,
    ended,
  );
}

/**
 * 7 and 8. `bus.consume()` with a fresh durable over `n` stored events; the handler returns
 * nothing (ack). Timed from `bus.consume()` until the bus has acked all `n` (its `acked`
 * metric) and the acks are flushed to the server.
 */
export async function runlogConsume(
  ctx: BenchContext,
  id: number,
  mode: 'event' | 'batch',
): Promise<Measurement> {
  const label = `runlog-${mode}`;
  await prepareStream(ctx, ctx.n, label);
  const durable = `bench_${label}_${ctx.tag}`;
  const handler: HandlerBinding<'trace'> =
    mode === 'event'
      ? { mode: 'event', handle: () => undefined }
      : { mode: 'batch', size: 100, handle: () => undefined };
  const all = ctx.acks.reached(durable, ctx.n);
  const started = performance.now();
  const running = await ctx.bus.consume({ durable, family: 'trace', handler });
  const complete = await within(all, ctx.budgetMs);
  await ctx.bus.connection.flush();
  const ended = performance.now();
  await running.stop();
  const name =
    mode === 'event'
      ? 'runlog bus.consume() event handler'
      : 'runlog bus.consume() batch handler (100)';
  const row = measured(
    id,
    name,
    'runlog',
    Math.min(ctx.acks.count(durable), ctx.n),
    started,
    complete,
    ended,
  );
  await ctx.jsm.consumers.delete(STREAM, durable);
  await ctx.jsm.consumers.delete(DEADLETTER_STREAM, `${durable}-redrive-trace`);
  return row;
}
