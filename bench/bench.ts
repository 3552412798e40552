// `npm run bench`: raw nats.js vs runlog's Bus, publish and consume, in one run on one
// server (PERF.md: compare ratios from one run, not absolute numbers across runs).
import { Logger } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../libs/bus/src';
import { findNatsServerBinary } from '../libs/platform/src/nats-server';
import { type NatsServerHandle, spawnNatsServer } from '../libs/testing/src/nats-server';
import { rawConsume, rawPublishAwait, rawPublishPipelined, rawRoute } from './raw';
import { leaseProjection } from './lease-history';
import { traceLookup, traceProjection } from './trace-store';
import { normalizerConsume } from './normalizer';
import { buildReport, formatReport, writeReport } from './report';
import { runlogConsume, runlogPublishAwait, runlogPublishMany } from './runlog';
import { asyncIngest, httpIngest } from './ingest';
import { endToEnd } from './e2e';
import { ourTransport, peerTransport } from './transport';
import {
  AckCounter,
  type BenchContext,
  type Measurement,
  payloadBytes,
  STREAM,
  SUBJECTS,
} from './setup';

/** `npm run bench -- --quick`: smaller counts and fewer runs, for a run well under 90 s. */
const QUICK = process.argv.includes('--quick');
/** `npm run bench:soak`: only the end-to-end row, for five minutes, with RSS sampled. */
const SOAK = process.argv.includes('--soak');
const DEFAULT_N = QUICK ? 10_000 : 100_000;
const ONE_AT_A_TIME = QUICK ? 1_000 : 5_000;
const BUDGET_MS = 10_000;
/** Events in the trace-store table when trace-by-id latency is measured. */
const STORED_TRACE_EVENTS = QUICK ? 50_000 : 1_000_000;
/** Runs per row (the row reports the median): cheap rows, and rows that take seconds each. */
const RUNS = QUICK ? { cheap: 3, heavy: 1 } : { cheap: 5, heavy: 3 };
/** End to end: offered rate and measured window (issue 8: 5,000 events/s for 20 s). */
const E2E = { rate: 5_000, seconds: SOAK ? 300 : QUICK ? 4 : 20 } as const;
const RESULTS = join(__dirname, '..', '..', 'bench', 'results', SOAK ? 'soak.json' : 'latest.json');
const STORE: 'pglite' | 'postgres' = process.env.DATABASE_URL ? 'postgres' : 'pglite';

function messageCount(): number {
  const given = process.env.BENCH_N;
  if (given === undefined || given === '') return DEFAULT_N;
  const n = Number(given);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`BENCH_N must be a positive integer, not ${given}`);
  return n;
}

/** `BENCH_ONLY=16,17`: only those rows (ids as in the table). */
function onlyRows(): Set<number> | undefined {
  const given = process.env.BENCH_ONLY?.trim();
  if (!given) return undefined;
  const ids = given.split(',').map((id) => Number(id.trim()));
  if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0))
    throw new Error(`BENCH_ONLY must be comma-separated row numbers, not ${given}`);
  return new Set(ids);
}

async function server(): Promise<{ url: string; handle?: NatsServerHandle }> {
  const external = process.env.BENCH_NATS_URL;
  if (external) return { url: external };
  const binary = findNatsServerBinary();
  if (!binary)
    throw new Error(
      'no nats-server binary (install nats-server, set NATS_SERVER_BIN or BENCH_NATS_URL)',
    );
  const handle = await spawnNatsServer(binary);
  return { url: handle.url, handle };
}

type Step = (ctx: BenchContext, id: number) => Promise<Measurement>;
interface Row {
  /** The table's `#`, as the step reports it. */
  readonly id: number;
  readonly runs: number;
  readonly step: Step;
  /** Rows that need the bench's own server (fixed durable names, services it starts). */
  readonly ownServer?: boolean;
}
const cheap = (id: number, step: Step): Row => ({ id, runs: RUNS.cheap, step });
const heavy = (id: number, step: Step): Row => ({ id, runs: RUNS.heavy, step, ownServer: true });
const once = (id: number, step: Step): Row => ({ id, runs: 1, step, ownServer: true });
const withPostgres = (rows: Row[]): Row[] => (process.env.DATABASE_URL ? rows : []);

/** Every row of `npm run bench`, in order; the ids are the table's `#` (report.ts pairs them). */
function rows(): Row[] {
  return [
    cheap(1, (ctx, id) => rawPublishAwait(ctx, id)),
    cheap(2, (ctx, id) => rawPublishPipelined(ctx, id)),
    cheap(3, (ctx, id) => runlogPublishAwait(ctx, id)),
    cheap(4, (ctx, id) => runlogPublishMany(ctx, id)),
    cheap(5, (ctx, id) => rawConsume(ctx, id, 'iterator')),
    cheap(6, (ctx, id) => rawConsume(ctx, id, 'callback')),
    cheap(7, (ctx, id) => runlogConsume(ctx, id, 'event')),
    cheap(8, (ctx, id) => runlogConsume(ctx, id, 'batch')),
    heavy(9, (ctx, id) => normalizerConsume(ctx, id)),
    heavy(10, (ctx, id) => leaseProjection(ctx, id, 'pglite')),
    // PostgreSQL too when DATABASE_URL names a server the bench may create a database on.
    ...withPostgres([heavy(11, (ctx, id) => leaseProjection(ctx, id, 'postgres'))]),
    heavy(12, (ctx, id) => traceProjection(ctx, id, 'pglite')),
    ...withPostgres([heavy(13, (ctx, id) => traceProjection(ctx, id, 'postgres'))]),
    once(14, (_, id) => traceLookup(id, 'pglite', STORED_TRACE_EVENTS)),
    ...withPostgres([once(15, (_, id) => traceLookup(id, 'postgres', STORED_TRACE_EVENTS))]),
    heavy(16, (ctx, id) => httpIngest(ctx, id, 100)),
    heavy(17, (ctx, id) => httpIngest(ctx, id, 500)),
    heavy(18, (ctx, id) => asyncIngest(ctx, id)),
    heavy(22, (ctx, id) => rawRoute(ctx, id)),
    heavy(19, (ctx, id) => ourTransport(ctx, id)),
    heavy(20, (ctx, id) => peerTransport(ctx, id)),
    once(21, (ctx, id) => endToEnd(ctx, id, { ...E2E, store: STORE, deployment: 'standalone' })),
    // The split deployment is a second reading of row 21: left out of --quick for time.
    ...(QUICK
      ? []
      : [
          once(23, (ctx, id) =>
            endToEnd(ctx, id, { ...E2E, store: STORE, deployment: 'services' }),
          ),
        ]),
  ];
}

/**
 * `npm run bench:soak`: the end-to-end row alone, RSS sampled every 10 s. Its 5 minutes
 * start after 30 s at the rate: the heap takes that long to reach its working size, and
 * growth before it is not a leak.
 */
function soakRows(): Row[] {
  return [
    once(21, (ctx, id) =>
      endToEnd(ctx, id, {
        ...E2E,
        store: STORE,
        deployment: 'standalone',
        rssEveryS: 10,
        warmUpS: 30,
      }),
    ),
  ];
}

/** Runs `row` its number of times and keeps the run with the median rate, with every rate. */
async function median(row: Row, ctx: BenchContext): Promise<Measurement> {
  const results: Measurement[] = [];
  // A tag of its own per run: ids repeated within the server's duplicate window (2 min)
  // would be dropped as duplicates, even after a purge.
  for (let run = 0; run < row.runs; run++)
    results.push(await row.step({ ...ctx, tag: `${ctx.tag}r${row.id}x${run}` }, row.id));
  const sorted = [...results].sort((a, b) => a.rate - b.rate);
  const middle = sorted[Math.floor(sorted.length / 2)] as Measurement;
  return results.length === 1 ? middle : { ...middle, runs: results.map((r) => r.rate) };
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const n = messageCount();
  const { url, handle } = await server();
  const acks = new AckCounter();
  let bus: Bus | undefined;
  let nc: NatsConnection | undefined;
  try {
    bus = await Bus.connect({
      servers: [url],
      name: 'bench',
      streams: { replicas: 1, maxAgeMs: {} },
      metrics: acks.metrics,
    });
    nc = await connect({ servers: [url], name: 'bench-raw', noAsyncTraces: true });
    const ctx: BenchContext = {
      bus,
      nc,
      js: jetstream(nc),
      jsm: await jetstreamManager(nc),
      acks,
      n,
      nOne: Math.min(n, ONE_AT_A_TIME),
      budgetMs: BUDGET_MS,
      tag: randomBytes(4).toString('hex'),
      url,
    };
    // Warm-up (untimed): both publish paths once, so neither side pays the JIT for the other.
    await rawPublishPipelined({ ...ctx, n: Math.min(n, 2_000) }, 0, 'warm-raw');
    await runlogPublishMany({ ...ctx, n: Math.min(n, 2_000) }, 0, 'warm-runlog');

    // Services' durables have fixed names: those rows run only on the bench's own server.
    const only = onlyRows();
    const planned = (SOAK ? soakRows() : rows()).filter(
      (row) => (handle || !row.ownServer) && (only === undefined || only.has(row.id)),
    );
    const measurements: Measurement[] = [];
    for (const [index, row] of planned.entries()) {
      const started = performance.now();
      const result = await median(row, ctx);
      measurements.push(result);
      const took = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(
        `[${index + 1}/${planned.length}] ${result.name}: ${Math.round(result.rate)} msgs/s (row took ${took} s)\n`,
      );
    }
    await bus.manager.streams.purge(STREAM);

    const report = buildReport(
      {
        node: process.version,
        natsServer: bus.connection.info?.version ?? 'unknown',
        server: handle ? 'spawned' : 'external',
        n,
        nOne: ctx.nOne,
        payloadBytes: payloadBytes(),
        subjects: SUBJECTS,
        budgetMs: BUDGET_MS,
        cpus: availableParallelism(),
        quick: QUICK,
        runs: RUNS,
      },
      measurements,
    );
    writeReport(RESULTS, report);
    process.stdout.write(`${formatReport(report)}\n\nwritten to ${RESULTS}\n`);
  } finally {
    await bus?.close();
    await nc?.close();
    await handle?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
