// trace-store: its projection over a pre-filled RUNLOG_TRACE, and trace-by-id latency with
// a million events stored, into PGlite and (when DATABASE_URL is set) PostgreSQL.
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { TraceMetrics } from '../apps/trace-store/src/projection/trace-metrics';
import { TraceProjectionConsumer } from '../apps/trace-store/src/projection/trace-projection.consumer';
import {
  TRACE_PAGE,
  TraceQueryService,
  traceReadLimits,
} from '../apps/trace-store/src/query/trace-query.service';
import {
  MIGRATIONS,
  SCHEMA,
  type TraceStoreDb,
} from '../apps/trace-store/src/store/trace-store.schema';
import { decode, DURABLES, type RunlogEvent, streamName } from '../libs/contracts/src';
import { timeConsumer, withBenchStore } from './projection';
import { TRACE_LENGTH, traceSlot, traceWorkloadEvent, WAVE } from './traces';
import { type BenchContext, type Measurement, measured, percentiles } from './setup';

const TRACE = streamName('trace');

/** `count` events of the trace workload, validated as ingest would. */
function traceEvents(count: number, prefix: string): RunlogEvent[] {
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, index) => {
    const { wave, i } = traceSlot(index);
    const timestamp = new Date(start + wave * WAVE + i).toISOString();
    const result = decode(traceWorkloadEvent(prefix, index, timestamp).envelope);
    if (!result.ok) throw new Error(`bad bench event: ${JSON.stringify(result.errors)}`);
    return result.value;
  });
}

/**
 * 12 and 13. The projection from the first event until it has acked all `n` (or the
 * budget ends). Needs the bench's own server: its durable has a fixed name.
 */
export async function traceProjection(
  ctx: BenchContext,
  id: number,
  kind: 'pglite' | 'postgres',
): Promise<Measurement> {
  return withBenchStore<TraceStoreDb, Measurement>(kind, SCHEMA, MIGRATIONS, async (store) => {
    try {
      await ctx.jsm.streams.purge(TRACE);
      const results = await ctx.bus.publishMany(traceEvents(ctx.n, `${ctx.tag}-trace-${kind}`));
      if (results.some((result) => !result.ok)) throw new Error('could not fill RUNLOG_TRACE');
      const metrics = new TraceMetrics(new Registry(), () =>
        Promise.resolve({ pending: 0, inFlight: 0 }),
      );
      return await timeConsumer(
        ctx,
        { id, name: `runlog trace-store projection (${kind})`, durable: DURABLES.traceStore },
        ['trace'],
        new TraceProjectionConsumer(ctx.bus, store, metrics),
      );
    } finally {
      await ctx.jsm.streams.purge(TRACE);
    }
  });
}

/**
 * 14 and 15. `GET /v1/traces/{id}` as the query service answers it (its first page: an index
 * range scan, and the warnings computed in SQL), with `stored` events in the table: latency percentiles
 * over `lookups` random traces. The rows are generated in SQL, not projected.
 */
export async function traceLookup(
  id: number,
  kind: 'pglite' | 'postgres',
  stored: number,
  lookups = 500,
): Promise<Measurement & { readonly latencyMs: Record<'p50' | 'p99' | 'max', number> }> {
  return withBenchStore<
    TraceStoreDb,
    Measurement & { readonly latencyMs: Record<'p50' | 'p99' | 'max', number> }
  >(kind, SCHEMA, MIGRATIONS, async (store) => {
    const traces = Math.ceil(stored / TRACE_LENGTH);
    await sql`
      insert into trace_store.events
        (request_id, event_id, cursor, kind, op_name, ctx, timestamp, ts_ms, seq, payload)
      select 'bench-t' || (n / ${TRACE_LENGTH}), 'e' || n, n,
             case when n % 2 = 0 then 'op_start' else 'op_end' end,
             'step.' || ((n % ${TRACE_LENGTH}) / 2 % 5), '["main"]'::jsonb,
             to_char(to_timestamp(1767225600 + n / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             1767225600000 + n, n % ${TRACE_LENGTH},
             case when n % 2 = 0 then '{"inputs":{}}'::jsonb
                  else '{"outputs":null,"status":"ok","duration_ms":1,"yield_count":0}'::jsonb end
      from generate_series(0, ${stored - 1}) as n`.execute(store.db);
    await sql`analyze trace_store.events`.execute(store.db);
    const query = new TraceQueryService(store, traceReadLimits(10_000));
    const times: number[] = [];
    const started = performance.now();
    for (let i = 0; i < lookups; i++) {
      const trace = `bench-t${Math.floor(Math.random() * traces)}`;
      const t0 = performance.now();
      const answer = await query.page(trace, { after: 0, limit: TRACE_PAGE.fallback });
      times.push(performance.now() - t0);
      if (!answer.found || answer.page.events.length !== TRACE_LENGTH)
        throw new Error(`trace ${trace} came back wrong`);
    }
    const ended = performance.now();
    const latencyMs = percentiles(times);
    const name = `runlog trace-store GET trace by id, ${stored.toLocaleString('en-US')} events stored (${kind}): p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms`;
    return { ...measured(id, name, 'runlog', lookups, started, true, ended), latencyMs };
  });
}
