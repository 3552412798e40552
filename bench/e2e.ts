// End to end, as a user sees it: runlog (`npm start`'s standalone process with all four
// services, or ingest and trace-store in processes of their own) in child processes, trace
// events offered at a fixed rate to `POST /v1/events`, and the time until each one is
// returned by `GET /v1/traces/{id}`.
//
// The signal that an event is readable: trace-store acks a message only after the
// transaction that stored it has committed, so the JetStream ack advisory for its stream
// sequence (`$JS.EVENT.METRIC.CONSUMER.ACK.RUNLOG_TRACE.trace-store`, sampled at 100 %)
// marks the moment `GET /v1/traces/{id}` returns it. The cursor in the 202 answer is that
// sequence. Once a second the bench also reads a just-acked event's trace over HTTP and
// counts whether the event is there, so the signal is checked, not assumed.
import { type Msg } from '@nats-io/transport-node';
import {
  DEADLETTER_STREAM,
  DURABLES,
  INGEST_STREAM,
  FAMILIES,
  streamName,
} from '../libs/contracts/src';
import { createTestDatabase, type TestDatabase } from '../libs/testing/src/database';
import { type ServiceProcess, startService } from './services';
import { traceWorkloadEvent } from './traces';
import {
  type BenchContext,
  type Measurement,
  measured,
  percentiles,
  STREAM,
  within,
} from './setup';

export interface EndToEndOptions {
  /** Offered events per second. */
  readonly rate: number;
  /** Length of the measured window (after the warm-up). */
  readonly seconds: number;
  /** PostgreSQL (a database of its own on `DATABASE_URL`) or PGlite in the data directory. */
  readonly store: 'pglite' | 'postgres';
  /**
   * `standalone`: `npm start`, all four services in one process. `services`: ingest and
   * trace-store each in a process of its own, as the compose deployment runs them.
   */
  readonly deployment: 'standalone' | 'services';
  /** Seconds between RSS samples (the soak); none when absent. */
  readonly rssEveryS?: number;
  /** Seconds at the offered rate before the window, unmeasured (default {@link WARM_UP_S}). */
  readonly warmUpS?: number;
}

export interface EndToEnd extends Measurement {
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** The first part of it: from the scheduled send to the 202 (ingest's share). */
  readonly acceptedMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** RSS of the runlog process after the warm-up and at the end, in MiB, and samples between. */
  readonly rssMiB: { readonly start: number; readonly end: number; readonly samples: number[] };
  /** Just-acked events read back over HTTP, and how many of them were missing. */
  readonly verified: { readonly read: number; readonly missing: number };
}

/** Events per `POST /v1/events` (100 requests/s at 5,000 events/s). */
const BATCH = 50;
/** Warm-up of the latency rows: the JIT and the first batches. */
const WARM_UP_S = 3;
/** How long after the last request every event must have been acked. */
const SETTLE_MS = 30_000;
const TICK_MS = 5;

/**
 * 21 and 23 (and `npm run bench:soak`). Offers `rate` events/s for `seconds` (open loop: requests
 * go out on schedule whatever the answers, and latency counts from the scheduled time)
 * and measures, per event, the time until trace-store has committed it.
 */
export async function endToEnd(
  ctx: BenchContext,
  id: number,
  options: EndToEndOptions,
): Promise<EndToEnd> {
  for (const family of FAMILIES) await ctx.jsm.streams.purge(streamName(family));
  const database: TestDatabase | undefined =
    options.store === 'postgres' ? await createTestDatabase('postgres') : undefined;
  const databaseUrl = database?.kind === 'postgres' ? database.url : undefined;
  const runlog = await startRunlog(options.deployment, ctx.url, databaseUrl);
  const ingestUrl = runlog.urls.INGEST_PORT;
  const traceUrl = runlog.urls.TRACE_STORE_PORT;
  if (ingestUrl === undefined || traceUrl === undefined) throw new Error('runlog has no ports');
  const advisories = ctx.nc.subscribe(
    `$JS.EVENT.METRIC.CONSUMER.ACK.${STREAM}.${DURABLES.traceStore}`,
  );
  try {
    await ctx.jsm.consumers.update(STREAM, DURABLES.traceStore, { sample_freq: '100%' });
    await ctx.nc.flush();

    const prefix = `${ctx.tag}-e2e-${id}`;
    let failures = 0;
    const inFlight = new Set<Promise<void>>();
    /** Scheduled send time by cursor (from the 202), and ack time by cursor (advisory). */
    const sentAt = new Map<number, number>();
    const ackedAt = new Map<number, number>();
    const requestOf = new Map<number, string>();
    const latencies: number[] = [];
    const acceptLatencies: number[] = [];
    let measuring = false;
    let measuredEvents = 0;
    const measuredCursors = new Set<number>();
    let allSettled: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (allSettled = resolve));
    let sending = true;
    const settle = (cursor: number): void => {
      const sent = sentAt.get(cursor);
      const acked = ackedAt.get(cursor);
      if (sent === undefined || acked === undefined) return;
      if (measuredCursors.delete(cursor)) latencies.push(acked - sent);
      sentAt.delete(cursor);
      ackedAt.delete(cursor);
      if (!sending && inFlight.size === 0 && measuredCursors.size === 0) allSettled();
    };
    let lastAcked: number | undefined;
    void (async () => {
      for await (const message of advisories) {
        const cursor = streamSeq(message);
        if (cursor === undefined) continue;
        ackedAt.set(cursor, performance.now());
        lastAcked = cursor;
        settle(cursor);
      }
    })();

    const post = (first: number, scheduled: number, counted: boolean): void => {
      const now = new Date().toISOString();
      const events = Array.from({ length: BATCH }, (_, k) =>
        traceWorkloadEvent(prefix, first + k, now),
      );
      const body = JSON.stringify(events.map(({ envelope }) => envelope));
      const request = (async () => {
        const response = await fetch(`${ingestUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const answer = (await response.json()) as { accepted?: { cursor: string | null }[] };
        if (response.status !== 202 || !answer.accepted) {
          failures += BATCH;
          return;
        }
        if (counted) acceptLatencies.push(performance.now() - scheduled);
        answer.accepted.forEach(({ cursor }, k) => {
          if (cursor === null) return;
          const seq = Number(cursor);
          sentAt.set(seq, scheduled);
          requestOf.set(seq, events[k]?.requestId ?? '');
          if (counted) measuredCursors.add(seq);
          settle(seq);
        });
      })()
        .catch(() => {
          failures += BATCH;
        })
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    };

    // Read back, once a second, the trace of the event acked last: it must be there.
    let read = 0;
    let missing = 0;
    const verify = async (): Promise<void> => {
      const cursor = lastAcked;
      const requestId = cursor === undefined ? undefined : requestOf.get(cursor);
      if (cursor === undefined || requestId === undefined) return;
      const response = await fetch(`${traceUrl}/v1/traces/${encodeURIComponent(requestId)}`);
      const trace = (await response.json()) as { events?: { cursor: string }[] };
      read++;
      if (!trace.events?.some((event) => event.cursor === String(cursor))) missing++;
    };

    const rss: number[] = [];
    const sampleRss = (): void => {
      const bytes = runlog.rssBytes();
      if (bytes !== undefined) rss.push(Math.round((bytes / 2 ** 20) * 10) / 10);
    };
    const batchesPerMs = options.rate / BATCH / 1000;
    const warmUpMs = (options.warmUpS ?? WARM_UP_S) * 1000;
    const totalMs = warmUpMs + options.seconds * 1000;
    const origin = performance.now();
    let sent = 0;
    let nextVerify = origin + warmUpMs;
    let nextRss = origin + warmUpMs;
    let measuredFrom = origin;
    for (;;) {
      const now = performance.now();
      const elapsed = now - origin;
      if (elapsed >= totalMs) break;
      if (!measuring && elapsed >= warmUpMs) {
        measuring = true;
        measuredFrom = now;
        sampleRss();
      }
      const due = Math.floor(elapsed * batchesPerMs);
      for (; sent < due; sent++) {
        const scheduled = origin + sent / batchesPerMs;
        post(sent * BATCH, scheduled, scheduled >= origin + warmUpMs);
        if (scheduled >= origin + warmUpMs) measuredEvents += BATCH;
      }
      if (measuring && now >= nextVerify) {
        nextVerify += 1000;
        void verify().catch(() => missing++);
      }
      if (measuring && options.rssEveryS !== undefined && now >= nextRss) {
        nextRss += options.rssEveryS * 1000;
        sampleRss();
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    const measuredUntil = performance.now();
    await Promise.all(inFlight);
    sending = false;
    if (measuredCursors.size === 0) allSettled();
    await within(settled, SETTLE_MS);
    sampleRss();
    const lost = measuredCursors.size + failures;
    const latencyMs = percentiles(latencies);
    const acceptedMs = percentiles(acceptLatencies);
    const rssMiB = { start: rss[0] ?? 0, end: rss[rss.length - 1] ?? 0, samples: rss };
    const where = options.deployment === 'standalone' ? 'one process' : 'ingest + trace-store';
    const name =
      `runlog end to end at ${options.rate.toLocaleString('en-US')} events/s (${where}, ${options.store}), ` +
      `POST -> readable by GET /v1/traces/{id}: p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms, max ${latencyMs.max} ms ` +
      `(POST -> 202: p50 ${acceptedMs.p50} ms, p99 ${acceptedMs.p99} ms)` +
      (lost > 0 ? `, ${lost} not acked in time` : '');
    return {
      ...measured(
        id,
        name,
        'runlog',
        latencies.length,
        measuredFrom,
        lost === 0 && measuredEvents === latencies.length,
        measuredUntil,
      ),
      latencyMs,
      acceptedMs,
      rssMiB,
      verified: { read, missing },
    };
  } finally {
    advisories.unsubscribe();
    await runlog.stop();
    await database?.drop();
    await removeConsumers(ctx);
  }
}

/** runlog as one process, or as ingest and trace-store processes (RSS: their sum). */
async function startRunlog(
  deployment: EndToEndOptions['deployment'],
  natsUrl: string,
  databaseUrl: string | undefined,
): Promise<Pick<ServiceProcess, 'urls' | 'rssBytes' | 'stop'>> {
  if (deployment === 'standalone') return startService('standalone', natsUrl, databaseUrl);
  const traceStore = await startService('trace-store', natsUrl, databaseUrl);
  const ingest = await startService('ingest', natsUrl).catch(async (error: unknown) => {
    await traceStore.stop();
    throw error;
  });
  return {
    urls: { ...ingest.urls, ...traceStore.urls },
    rssBytes: () => {
      const [a, b] = [ingest.rssBytes(), traceStore.rssBytes()];
      return a === undefined || b === undefined ? undefined : a + b;
    },
    stop: async () => {
      await ingest.stop();
      await traceStore.stop();
    },
  };
}

/** Purges runlog's streams and deletes the durables the runlog processes made. */
async function removeConsumers(ctx: BenchContext): Promise<void> {
  for (const stream of [...FAMILIES.map(streamName), INGEST_STREAM, DEADLETTER_STREAM]) {
    await ctx.jsm.streams.purge(stream);
    for await (const consumer of ctx.jsm.consumers.list(stream))
      await ctx.jsm.consumers.delete(stream, consumer.name);
  }
}

function streamSeq(message: Msg): number | undefined {
  try {
    const advisory = message.json<{ stream_seq?: unknown }>();
    return typeof advisory.stream_seq === 'number' ? advisory.stream_seq : undefined;
  } catch {
    return undefined;
  }
}
