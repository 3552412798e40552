// ingest, as producers reach it: `POST /v1/events` under load from autocannon, and async
// ingress (`ingest.<family>.<key>`) routing to the family stream. The service runs in a
// child process (./services), the load comes from this one.
import autocannon from 'autocannon';
import { encode, INGEST_STREAM } from '../libs/contracts/src';
import { fillIngress } from './raw';
import { type ServiceProcess, startService } from './services';
import {
  type BenchContext,
  type Measurement,
  measured,
  prepareStream,
  STREAM,
  traceEvents,
  within,
} from './setup';

/** Concurrent HTTP connections of the load generator. */
const CONNECTIONS = 4;

/**
 * 16 and 17. `n` events as `POST /v1/events` batches of `batch`, {@link CONNECTIONS}
 * connections, each request a fresh body (ids never repeat, so nothing dedupes). Timed
 * from the first request until the last 202; then the stream must hold all `n`.
 */
export async function httpIngest(
  ctx: BenchContext,
  id: number,
  batch: number,
): Promise<Measurement> {
  const ingest = await startService('ingest', ctx.url);
  try {
    return await postAll(ctx, ingest, id, batch);
  } finally {
    await ingest.stop();
  }
}

async function postAll(
  ctx: BenchContext,
  ingest: ServiceProcess,
  id: number,
  batch: number,
): Promise<Measurement> {
  const label = `http-${batch}`;
  await prepareStream(ctx, 0, label);
  const events = traceEvents(ctx.n, `${ctx.tag}-${label}-${id}-${performance.now()}`);
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += batch)
    bodies.push(JSON.stringify(events.slice(i, i + batch).map(encode)));
  let next = 0;
  const url = ingest.urls.INGEST_PORT;
  if (url === undefined) throw new Error('ingest has no INGEST_PORT');
  const started = performance.now();
  // Timed to the last response: autocannon settles only on its next one-second tick.
  let ended = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        amount: bodies.length,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/v1/events',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: bodies[next++] ?? '[]' }),
          },
        ],
      },
      (error, finished) => (error ? reject(error as Error) : resolve(finished)),
    );
    instance.on('response', () => (ended = performance.now()));
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
    throw new Error(
      `http ingest (batch ${batch}): ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  const stored = (await ctx.jsm.streams.info(STREAM)).state.messages;
  if (stored !== ctx.n) throw new Error(`http ingest: ${stored} of ${ctx.n} events stored`);
  return measured(
    id,
    `runlog POST /v1/events, batches of ${batch}, ${CONNECTIONS} connections`,
    'runlog',
    ctx.n,
    started,
    true,
    ended,
  );
}

/**
 * 18. Async ingress: `n` events put on `ingest.trace.<key>` while no ingest runs, then an
 * ingest process routes them to RUNLOG_TRACE. Timed from the first routed event to the
 * `n`-th (seen on a core subscription to the family subjects), so the process's start is
 * not counted.
 */
export async function asyncIngest(ctx: BenchContext, id: number): Promise<Measurement> {
  await prepareStream(ctx, 0, 'async');
  await ctx.jsm.streams.purge(INGEST_STREAM);
  await fillIngress(ctx, traceEvents(ctx.n, `${ctx.tag}-async-${id}-${performance.now()}`));
  let seen = 0;
  let first = 0;
  let last = 0;
  let finish: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finish = resolve));
  const subscription = ctx.nc.subscribe('events.trace.>', {
    callback: () => {
      const now = performance.now();
      if (seen === 0) first = now;
      last = now;
      if (++seen === ctx.n) finish();
    },
  });
  await ctx.nc.flush();
  const ingest = await startService('ingest', ctx.url);
  try {
    const complete = await within(all, ctx.budgetMs * 3);
    const stored = (await ctx.jsm.streams.info(STREAM)).state.messages;
    if (complete && stored !== ctx.n)
      throw new Error(`async ingest: ${stored} of ${ctx.n} events stored`);
    return measured(
      id,
      'runlog async ingress ingest.<family>.<key> -> family stream',
      'runlog',
      Math.max(0, seen - 1),
      first,
      complete,
      last,
    );
  } finally {
    subscription.unsubscribe();
    await ingest.stop();
    await ctx.jsm.streams.purge(INGEST_STREAM);
  }
}
