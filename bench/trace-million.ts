// `npm run bench:trace-million`: one trace of a million events (issue 18), stored through
// trace-store's own projection, then read by the trace-store service in a process of its
// own: every page of GET /v1/traces/{id}, the tree, the usage and the search. Each read's
// time and the service's peak RSS while it ran (VmHWM, reset before each phase) go to
// bench/results/trace-million.json. PGlite always; PostgreSQL too when DATABASE_URL is set.
//
//   npm run bench:trace-million                    a million events
//   TRACE_EVENTS=100000 npm run bench:trace-million
import { Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceProjection } from '../apps/trace-store/src/projection/trace-projection';
import { MIGRATIONS, SCHEMA } from '../apps/trace-store/src/store/trace-store.schema';
import { type TraceStoreDb } from '../apps/trace-store/src/store/trace-store.schema';
import {
  type CloudEventEnvelope,
  decode,
  type DeliveredEvent,
  exampleEvent,
} from '../libs/contracts/src';
import { migrateToLatest, openStore, type Store } from '../libs/store/src';
import { createTestDatabase, type TestDatabase } from '../libs/testing/src/database';
import { spawnNatsServer } from '../libs/testing/src/nats-server';
import { findNatsServerBinary } from '../libs/platform/src/nats-server';
import { type Kysely } from 'kysely';
import { type ServiceProcess, startService } from './services';

const EVENTS = positive('TRACE_EVENTS', 1_000_000);
/** Events per projected batch (trace-store's consumer takes up to 1,000 per batch). */
const FILL_BATCH = 5_000;
/** The page size the reader asks for: the API's maximum. */
const PAGE = 5_000;
const TRACE = 'bench-million';
const RESULTS = join(__dirname, '..', '..', 'bench', 'results', 'trace-million.json');
const TEXT = 'lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(4);

function positive(name: string, fallback: number): number {
  const given = process.env[name];
  if (given === undefined || given === '') return fallback;
  const n = Number(given);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

type TraceKind = 'op_start' | 'op_end' | 'llm_usage' | 'annotation';

/**
 * One unit of ten events: a step span (a root) holding an LLM call with its usage, an
 * annotation, a tool span, the step's own usage and a second annotation; text payloads of
 * ~230 bytes on span starts and ends.
 */
const UNIT: ReadonlyArray<{
  readonly kind: TraceKind;
  readonly op: string;
  readonly payload: (unit: number) => object;
}> = [
  { kind: 'op_start', op: 'agent.step', payload: (unit) => ({ inputs: { goal: TEXT, unit } }) },
  { kind: 'op_start', op: 'agent.step.llm', payload: () => ({ inputs: { prompt: TEXT } }) },
  {
    kind: 'llm_usage',
    op: 'agent.step.llm',
    payload: () => ({
      model: 'qwen3-4b',
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      cost_usd: 0.0004,
    }),
  },
  {
    kind: 'op_end',
    op: 'agent.step.llm',
    payload: () => ({ outputs: { text: TEXT }, status: 'ok', duration_ms: 1, yield_count: 3 }),
  },
  { kind: 'annotation', op: 'agent.step', payload: (unit) => ({ key: 'unit', value: unit }) },
  { kind: 'op_start', op: 'agent.step.tool', payload: () => ({ inputs: { args: TEXT } }) },
  {
    kind: 'op_end',
    op: 'agent.step.tool',
    payload: () => ({ outputs: { result: TEXT }, status: 'ok', duration_ms: 1, yield_count: 0 }),
  },
  {
    kind: 'llm_usage',
    op: 'agent.step',
    payload: () => ({
      model: 'qwen3-8b',
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      cost_usd: 0.0001,
    }),
  },
  { kind: 'annotation', op: 'agent.step', payload: () => ({ key: 'tenant', value: 'acme' }) },
  {
    kind: 'op_end',
    op: 'agent.step',
    payload: () => ({ outputs: null, status: 'ok', duration_ms: 10, yield_count: 0 }),
  },
];

/** Each kind's example envelope, built once (spread per event; nothing writes to it). */
const BASES = new Map(UNIT.map(({ kind }) => [kind, exampleEvent('trace', kind)]));

/** The `i`-th event of the trace: place `i % 10` of unit `i / 10`. */
function envelopeAt(i: number): CloudEventEnvelope {
  const { kind, op, payload } = UNIT[i % UNIT.length]!;
  const id = `${TRACE}-e${i}`;
  return {
    ...BASES.get(kind)!,
    id,
    subject: TRACE,
    data: {
      event_id: id,
      request_id: TRACE,
      ctx: ['main'],
      timestamp: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
      seq: i,
      op_name: op,
      payload: payload(Math.floor(i / UNIT.length)),
    },
  };
}

/** Stores the trace through TraceProjection, batch by batch, as the consumer would. */
async function fill(store: Store<TraceStoreDb>): Promise<number> {
  await migrateToLatest(store.db as Kysely<unknown>, SCHEMA, MIGRATIONS);
  const projection = new TraceProjection(store.db);
  const started = performance.now();
  for (let from = 0; from < EVENTS; from += FILL_BATCH) {
    const batch: DeliveredEvent<'trace'>[] = [];
    for (let i = from; i < Math.min(EVENTS, from + FILL_BATCH); i++) {
      const result = decode(envelopeAt(i));
      if (!result.ok) throw new Error(`bad bench event ${i}: ${JSON.stringify(result.errors)}`);
      batch.push({ ...(result.value as DeliveredEvent<'trace'>), cursor: String(i + 1) });
    }
    const { stored } = await projection.apply(batch);
    if (stored !== batch.length) throw new Error(`stored ${stored} of ${batch.length}`);
    if ((from / FILL_BATCH) % 20 === 0)
      process.stderr.write(`  filled ${from + batch.length} events\r`);
  }
  process.stderr.write('\n');
  return (performance.now() - started) / 1000;
}

interface Phase {
  readonly phase: string;
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly detail: string;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(600_000) });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** Runs `read` against the service with a fresh peak RSS; returns its time and peak. */
async function phase(
  service: ServiceProcess,
  name: string,
  read: () => Promise<string>,
): Promise<Phase> {
  if (!service.resetPeak()) throw new Error('cannot reset the peak RSS (/proc/<pid>/clear_refs)');
  const started = performance.now();
  const detail = await read();
  const seconds = (performance.now() - started) / 1000;
  const peakRssMiB = Math.round((service.peakRssBytes() ?? Number.NaN) / 2 ** 20);
  process.stderr.write(
    `  ${name}: ${seconds.toFixed(1)} s, peak RSS ${peakRssMiB} MiB (${detail})\n`,
  );
  return { phase: name, seconds: Number(seconds.toFixed(2)), peakRssMiB, detail };
}

async function readAll(service: ServiceProcess): Promise<Phase[]> {
  const base = service.urls.TRACE_STORE_PORT as string;
  const trace = `${base}/v1/traces/${TRACE}`;
  const phases: Phase[] = [];
  phases.push(
    await phase(service, 'idle (health)', async () => {
      await getJson(`${base}/health/ready`);
      return 'ready';
    }),
  );
  phases.push(
    await phase(service, `every page, limit=${PAGE}`, async () => {
      let after = '0';
      let events = 0;
      let pages = 0;
      let last = -1;
      for (;;) {
        const page = await getJson<{
          events: Array<{ seq: number }>;
          next_after: string | null;
        }>(`${trace}?limit=${PAGE}&after=${after}`);
        for (const event of page.events) {
          if (event.seq !== last + 1)
            throw new Error(`page ${pages}: seq ${event.seq} after ${last}`);
          last = event.seq;
        }
        events += page.events.length;
        pages++;
        if (page.next_after === null) break;
        after = page.next_after;
      }
      if (events !== EVENTS) throw new Error(`paged ${events} events of ${EVENTS}`);
      return `${pages} pages, ${events} events, each once in order`;
    }),
  );
  phases.push(
    await phase(service, 'tree', async () => {
      const tree = await getJson<{ truncated?: boolean; omitted?: number; roots: unknown[] }>(
        `${trace}/tree`,
      );
      if (EVENTS > 20_000 && tree.truncated !== true) throw new Error('the tree was not cut');
      return tree.truncated
        ? `${tree.roots.length} roots, cut, ${tree.omitted} events omitted`
        : `${tree.roots.length} roots, whole`;
    }),
  );
  phases.push(
    await phase(service, 'usage', async () => {
      const usage = await getJson<{ total: { total_tokens: number } }>(`${trace}/usage`);
      const tokens = usage.total.total_tokens;
      const expected =
        Math.floor(EVENTS / 10) * 165 + (EVENTS % 10 > 2 ? 150 : 0) + (EVENTS % 10 > 7 ? 15 : 0);
      if (tokens !== expected) throw new Error(`usage: ${tokens} tokens, not ${expected}`);
      return `${tokens} tokens`;
    }),
  );
  phases.push(
    await phase(service, 'search', async () => {
      const list = await getJson<{ traces: Array<{ request_id: string }> }>(`${base}/v1/traces`);
      if (!list.traces.some((t) => t.request_id === TRACE)) throw new Error('not in the search');
      return `${list.traces.length} traces`;
    }),
  );
  phases.push(
    await phase(service, 'four trees at once', async () => {
      await Promise.all(Array.from({ length: 4 }, () => getJson(`${trace}/tree`)));
      return '4 concurrent';
    }),
  );
  return phases;
}

async function run(kind: 'pglite' | 'postgres', natsUrl: string) {
  process.stderr.write(`trace-million (${kind}): ${EVENTS.toLocaleString('en-US')} events\n`);
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let target: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  if (kind === 'postgres') {
    database = await createTestDatabase('postgres');
    if (database.kind !== 'postgres') throw new Error('no PostgreSQL database');
    target = { kind: 'postgres', url: database.url };
  } else {
    // The service's own layout: PGlite under <RUNLOG_DATA_DIR>/trace-store.
    dataDir = mkdtempSync(join(tmpdir(), 'runlog-bench-million-'));
    mkdirSync(join(dataDir, 'trace-store'));
    target = { kind: 'pglite', dataDir: join(dataDir, 'trace-store') };
  }
  try {
    const store = await openStore<TraceStoreDb>(target);
    let fillSeconds: number;
    try {
      fillSeconds = await fill(store);
    } finally {
      await store.close();
    }
    process.stderr.write(`  stored in ${fillSeconds.toFixed(0)} s\n`);
    const service = await startService(
      'trace-store',
      natsUrl,
      target.kind === 'postgres' ? target.url : undefined,
      dataDir,
    );
    try {
      return {
        store: kind,
        events: EVENTS,
        fillSeconds: Math.round(fillSeconds),
        phases: await readAll(service),
      };
    } finally {
      await service.stop(); // removes dataDir
    }
  } finally {
    await database?.drop();
  }
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const binary = findNatsServerBinary();
  if (!binary) throw new Error('no nats-server binary (apt-get install -y nats-server)');
  const nats = await spawnNatsServer(binary);
  try {
    const results = [await run('pglite', nats.url)];
    if (process.env.DATABASE_URL) results.push(await run('postgres', nats.url));
    mkdirSync(join(RESULTS, '..'), { recursive: true });
    writeFileSync(
      RESULTS,
      `${JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
    );
    for (const result of results) {
      process.stdout.write(
        `\n${result.store}: ${result.events} events, stored in ${result.fillSeconds} s\n`,
      );
      process.stdout.write('| read | time | peak RSS of trace-store |\n| --- | --- | --- |\n');
      for (const p of result.phases)
        process.stdout.write(
          `| ${p.phase} (${p.detail}) | ${p.seconds} s | ${p.peakRssMiB} MiB |\n`,
        );
    }
    process.stdout.write(`\nwritten to ${RESULTS}\n`);
  } finally {
    await nats.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
