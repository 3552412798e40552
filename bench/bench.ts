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
import { rawConsume, rawPublishAwait, rawPublishPipelined } from './raw';
import { leaseProjection } from './lease-history';
import { traceLookup, traceProjection } from './trace-store';
import { normalizerConsume } from './normalizer';
import { buildReport, formatReport, writeReport } from './report';
import { runlogConsume, runlogPublishAwait, runlogPublishMany } from './runlog';
import {
  AckCounter,
  type BenchContext,
  type Measurement,
  payloadBytes,
  STREAM,
  SUBJECTS,
} from './setup';

/** `npm run bench -- --quick`: smaller counts, for a run well under 90 s. */
const QUICK = process.argv.includes('--quick');
const DEFAULT_N = QUICK ? 20_000 : 100_000;
const ONE_AT_A_TIME = QUICK ? 1_000 : 5_000;
const BUDGET_MS = 10_000;
/** Events in the trace-store table when trace-by-id latency is measured. */
const STORED_TRACE_EVENTS = QUICK ? 100_000 : 1_000_000;
const RESULTS = join(__dirname, '..', '..', 'bench', 'results', 'latest.json');

function messageCount(): number {
  const given = process.env.BENCH_N;
  if (given === undefined || given === '') return DEFAULT_N;
  const n = Number(given);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`BENCH_N must be a positive integer, not ${given}`);
  return n;
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

type Step = (ctx: BenchContext) => Promise<Measurement>;

const STEPS: readonly Step[] = [
  (ctx) => rawPublishAwait(ctx, 1),
  (ctx) => rawPublishPipelined(ctx, 2),
  (ctx) => runlogPublishAwait(ctx, 3),
  (ctx) => runlogPublishMany(ctx, 4),
  (ctx) => rawConsume(ctx, 5, 'iterator'),
  (ctx) => rawConsume(ctx, 6, 'callback'),
  (ctx) => runlogConsume(ctx, 7, 'event'),
  (ctx) => runlogConsume(ctx, 8, 'batch'),
  (ctx) => normalizerConsume(ctx, 9),
  (ctx) => leaseProjection(ctx, 10, 'pglite'),
  // PostgreSQL too when DATABASE_URL names a server the bench may create a database on.
  ...(process.env.DATABASE_URL
    ? [(ctx: BenchContext) => leaseProjection(ctx, 11, 'postgres')]
    : []),
  (ctx) => traceProjection(ctx, 12, 'pglite'),
  ...(process.env.DATABASE_URL
    ? [(ctx: BenchContext) => traceProjection(ctx, 13, 'postgres')]
    : []),
  () => traceLookup(14, 'pglite', STORED_TRACE_EVENTS),
  ...(process.env.DATABASE_URL ? [() => traceLookup(15, 'postgres', STORED_TRACE_EVENTS)] : []),
];

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
    };
    // Warm-up (untimed): both publish paths once, so neither side pays the JIT for the other.
    await rawPublishPipelined({ ...ctx, n: Math.min(n, 2_000) }, 0, 'warm-raw');
    await runlogPublishMany({ ...ctx, n: Math.min(n, 2_000) }, 0, 'warm-runlog');

    // The normalizer's and lease-history's durables have fixed names: only on the bench's own server.
    const steps = handle ? STEPS : STEPS.slice(0, 8);
    const measurements: Measurement[] = [];
    for (const [index, step] of steps.entries()) {
      const row = await step(ctx);
      measurements.push(row);
      process.stderr.write(
        `[${index + 1}/${steps.length}] ${row.name}: ${Math.round(row.rate)} msgs/s\n`,
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
