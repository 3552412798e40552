import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Measurement } from './setup';

/** Which raw row each runlog row is compared with (ids of the measurements). */
export const PAIRS: readonly { readonly runlog: number; readonly raw: number }[] = [
  { runlog: 3, raw: 1 },
  { runlog: 4, raw: 2 },
  { runlog: 7, raw: 5 },
  { runlog: 8, raw: 6 },
  { runlog: 9, raw: 5 },
  { runlog: 10, raw: 6 },
  { runlog: 11, raw: 6 },
  { runlog: 12, raw: 6 },
  { runlog: 13, raw: 6 },
  { runlog: 16, raw: 2 },
  { runlog: 17, raw: 2 },
  { runlog: 18, raw: 2 },
  { runlog: 18, raw: 22 },
  { runlog: 19, raw: 20 },
];

export interface Environment {
  readonly node: string;
  readonly natsServer: string;
  readonly server: 'spawned' | 'external';
  readonly n: number;
  readonly nOne: number;
  readonly payloadBytes: number;
  readonly subjects: number;
  readonly budgetMs: number;
  readonly cpus: number;
  readonly quick: boolean;
  /** Runs per row: each row is the median of `cheap` or `heavy` runs. */
  readonly runs: { readonly cheap: number; readonly heavy: number };
}

export interface Ratio {
  readonly runlog: number;
  readonly raw: number;
  /** runlog msgs/s divided by raw msgs/s: above 1 means runlog is faster. */
  readonly ratio: number;
}

/** The headline figures under stable names (issue 8), each absent when its row did not run. */
export interface Summary {
  readonly raw_publish_per_s?: number;
  readonly raw_consume_per_s?: number;
  readonly bus_publish_per_s?: number;
  /** The faster of the two batch sizes; both are in the rows. */
  readonly http_ingest_per_s?: number;
  readonly http_ingest_100_per_s?: number;
  readonly http_ingest_500_per_s?: number;
  readonly async_ingest_per_s?: number;
  /** Row 22: the same routing done by plain nats.js, nothing parsed (the server's ceiling). */
  readonly raw_route_per_s?: number;
  readonly transport_per_s?: number;
  readonly peer_transport_per_s?: number;
  readonly normalizer_per_s?: number;
  readonly lease_projection_per_s?: number;
  readonly lease_projection_pg_per_s?: number;
  readonly trace_projection_per_s?: number;
  readonly trace_projection_pg_per_s?: number;
  readonly trace_by_id_p50_ms?: number;
  readonly trace_by_id_p99_ms?: number;
  readonly trace_by_id_pg_p50_ms?: number;
  readonly trace_by_id_pg_p99_ms?: number;
  readonly e2e_p50_ms?: number;
  readonly e2e_p99_ms?: number;
  readonly e2e_max_ms?: number;
  /** Of the end-to-end latency, the part from the scheduled POST to its 202. */
  readonly e2e_accepted_p50_ms?: number;
  readonly e2e_accepted_p99_ms?: number;
  /** Row 23: the same with ingest and trace-store in processes of their own. */
  readonly e2e_services_p50_ms?: number;
  readonly e2e_services_p99_ms?: number;
  readonly e2e_services_max_ms?: number;
  /** RSS of the runlog process at the start and end of the end-to-end row, in MiB. */
  readonly e2e_rss_start_mib?: number;
  readonly e2e_rss_end_mib?: number;
  /** Each divided by the raw figure of the same run (the transport by the peer's). */
  readonly ratios: {
    readonly bus_publish?: number;
    readonly http_ingest?: number;
    readonly async_ingest?: number;
    /** Async ingress against row 22, raw routing on the same server. */
    readonly async_ingest_vs_route?: number;
    readonly transport_vs_peer?: number;
    readonly trace_projection?: number;
    readonly trace_projection_pg?: number;
    readonly lease_projection?: number;
    readonly lease_projection_pg?: number;
  };
}

export interface Report extends Summary {
  readonly finishedAt: string;
  readonly environment: Environment;
  readonly measurements: readonly ReportRow[];
  /** Every runlog row with its raw row. */
  readonly pairs: readonly Ratio[];
}

/** Latency percentiles of a latency row, in milliseconds. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** A row as measured: latency rows carry percentiles, the end-to-end row RSS too. */
export type ReportRow = Measurement & {
  readonly latencyMs?: Latency;
  readonly acceptedMs?: Latency;
  readonly rssMiB?: { readonly start: number; readonly end: number };
};

export function buildReport(environment: Environment, measurements: readonly ReportRow[]): Report {
  const row = (id: number) => measurements.find((m) => m.id === id);
  const rate = (id: number): number | undefined => row(id)?.rate;
  const pairs = PAIRS.flatMap(({ runlog, raw }) => {
    const a = rate(runlog);
    const b = rate(raw);
    return a === undefined || b === undefined ? [] : [{ runlog, raw, ratio: a / b }];
  });
  const ratio = (id: number) => pairs.find((pair) => pair.runlog === id)?.ratio;
  const summary: Summary = {
    raw_publish_per_s: rate(2),
    raw_consume_per_s: rate(6),
    bus_publish_per_s: rate(4),
    http_ingest_per_s: fastest(rate(16), rate(17)),
    http_ingest_100_per_s: rate(16),
    http_ingest_500_per_s: rate(17),
    async_ingest_per_s: rate(18),
    raw_route_per_s: rate(22),
    transport_per_s: rate(19),
    peer_transport_per_s: rate(20),
    normalizer_per_s: rate(9),
    lease_projection_per_s: rate(10),
    lease_projection_pg_per_s: rate(11),
    trace_projection_per_s: rate(12),
    trace_projection_pg_per_s: rate(13),
    trace_by_id_p50_ms: row(14)?.latencyMs?.p50,
    trace_by_id_p99_ms: row(14)?.latencyMs?.p99,
    trace_by_id_pg_p50_ms: row(15)?.latencyMs?.p50,
    trace_by_id_pg_p99_ms: row(15)?.latencyMs?.p99,
    e2e_p50_ms: row(21)?.latencyMs?.p50,
    e2e_p99_ms: row(21)?.latencyMs?.p99,
    e2e_max_ms: row(21)?.latencyMs?.max,
    e2e_accepted_p50_ms: row(21)?.acceptedMs?.p50,
    e2e_accepted_p99_ms: row(21)?.acceptedMs?.p99,
    e2e_services_p50_ms: row(23)?.latencyMs?.p50,
    e2e_services_p99_ms: row(23)?.latencyMs?.p99,
    e2e_services_max_ms: row(23)?.latencyMs?.max,
    e2e_rss_start_mib: row(21)?.rssMiB?.start,
    e2e_rss_end_mib: row(21)?.rssMiB?.end,
    ratios: {
      bus_publish: ratio(4),
      http_ingest: fastest(ratio(16), ratio(17)),
      async_ingest: ratio(18),
      async_ingest_vs_route: pairs.find((pair) => pair.runlog === 18 && pair.raw === 22)?.ratio,
      transport_vs_peer: ratio(19),
      trace_projection: ratio(12),
      trace_projection_pg: ratio(13),
      lease_projection: ratio(10),
      lease_projection_pg: ratio(11),
    },
  };
  return { finishedAt: new Date().toISOString(), environment, measurements, pairs, ...summary };
}

function fastest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A Markdown table: one row per measurement, the runlog rows with their ratio to the raw row. */
export function formatReport(report: Report): string {
  const env = report.environment;
  const header = [
    `runlog bench: node ${env.node}, nats-server ${env.natsServer} (${env.server}), ${env.cpus} CPUs`,
    `N = ${number.format(env.n)} (one-at-a-time rows: ${number.format(env.nOne)}), ` +
      `${env.payloadBytes}-byte events over ${env.subjects} subjects, budget ${env.budgetMs / 1000} s per row`,
    `each row the median of ${env.runs.cheap} runs (publish and consume rows) or ${env.runs.heavy} (service rows); latency rows once` +
      (env.quick ? ' (--quick)' : ''),
    '',
  ];
  const rows = report.measurements.map((m) => {
    const versus = report.pairs
      .filter((r) => r.runlog === m.id)
      .map((r) => `${r.ratio.toFixed(2)}× of #${r.raw}`)
      .join(', ');
    const messages = number.format(m.messages) + (m.complete ? '' : ' (budget hit)');
    return [String(m.id), m.name, messages, m.seconds.toFixed(2), number.format(m.rate), versus];
  });
  const table = [['#', 'measurement', 'msgs', 's', 'msgs/s', 'runlog / raw'], ...rows];
  const widths =
    table[0]?.map((_, col) => Math.max(...table.map((row) => (row[col] ?? '').length))) ?? [];
  const line = (row: readonly string[]): string =>
    `| ${row.map((cell, col) => (col >= 2 && col <= 4 ? cell.padStart(widths[col] ?? 0) : cell.padEnd(widths[col] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, col) => (col >= 2 && col <= 4 ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  const [head = [], ...body] = table;
  return [...header, line(head), rule, ...body.map(line)].join('\n');
}

export function writeReport(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
