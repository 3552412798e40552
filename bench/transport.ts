// The consumer transport rows (issue 8): events/s through a trivial NestJS handler on
// runlog's JetStreamServer, and on @nestjs-plugins/nestjs-nats-jetstream-transport (the
// most used NestJS JetStream transport), over the same pre-filled stream. Each handler app
// runs in a child process of its own, so both sides are measured the same way and outside
// the bench's event loop; the rate is the child's own count over its own time (from
// `app.listen()` until all acked and flushed).
import { JetStreamApiError } from '@nats-io/jetstream';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redriveDurable } from '../libs/bus/src';
import { DEADLETTER_STREAM, familySubjectFilter } from '../libs/contracts/src';
import { type BenchContext, type Measurement, measured, prepareStream, STREAM } from './setup';

const ROOT = join(__dirname, '..', '..');
const PEER_DIR = join(ROOT, 'bench', 'peers', 'nestjs-jetstream');
const PEER_PACKAGE = '@nestjs-plugins/nestjs-nats-jetstream-transport';
/** Both handlers take the whole family (one filter subject, as the peer needs one). */
const SUBJECT = familySubjectFilter('trace');
/** How long a child may take beyond its budget (start-up, consumer creation, shutdown). */
const CHILD_GRACE_MS = 60_000;
const CONSUMER_NOT_FOUND = 10014;
/**
 * Runs so far in this process: each run fills the stream under its own label. The fill's
 * event ids derive from the label and ctx.tag, and a purge does not clear the server's
 * duplicate window (2.9), so a second run with the same label would fill nothing.
 */
let runs = 0;

/** What a child prints on its last stdout line. */
interface ChildResult {
  readonly messages: number;
  readonly seconds: number;
  readonly complete: boolean;
  /** The child's CPU time over the same window: a steadier comparison on a busy machine. */
  readonly cpuSeconds?: number;
}

/** Row: NestJS 12 microservice on runlog's JetStreamServer, one @JetStreamHandler (event mode). */
export async function ourTransport(ctx: BenchContext, id: number): Promise<Measurement> {
  const label = `nest-ours-${++runs}`;
  await prepareStream(ctx, ctx.n, label);
  const durable = `bench_${label}_${ctx.tag}`;
  try {
    const result = await runChild(
      'runlog transport',
      [
        '--require',
        join(ROOT, 'bench', 'register-paths.js'),
        join(__dirname, 'transport-ours.js'), // compiled beside this file (dist-bench/bench)
        ...childArgs(ctx, durable),
      ],
      ctx.budgetMs,
    );
    return row(id, 'runlog NestJS transport (JetStreamServer), event handler', 'runlog', result);
  } finally {
    await deleteConsumer(ctx, STREAM, durable);
    await deleteConsumer(ctx, DEADLETTER_STREAM, redriveDurable(durable, 'trace'));
  }
}

/** Row: NestJS 11 microservice on the peer library's NatsJetStreamServer, one @EventPattern. */
export async function peerTransport(ctx: BenchContext, id: number): Promise<Measurement> {
  await ensurePeerInstalled();
  const version = peerVersion();
  const label = `nest-peer-${++runs}`;
  await prepareStream(ctx, ctx.n, label);
  const durable = `bench_${label}_${ctx.tag}`;
  try {
    const result = await runChild(
      'peer transport',
      [join(PEER_DIR, 'peer.js'), ...childArgs(ctx, durable)],
      ctx.budgetMs,
    );
    return row(id, `peer ${PEER_PACKAGE} ${version}, event handler`, 'raw', result);
  } finally {
    // The library names its durable `<ours>-<pattern>`: remove whatever it created.
    for await (const info of ctx.jsm.consumers.list(STREAM)) {
      if (info.name.startsWith(`${durable}-`)) await deleteConsumer(ctx, STREAM, info.name);
    }
  }
}

function childArgs(ctx: BenchContext, durable: string): string[] {
  return [
    '--url',
    ctx.url,
    '--stream',
    STREAM,
    '--subject',
    SUBJECT,
    '--durable',
    durable,
    '--count',
    String(ctx.n),
    '--budget-ms',
    String(ctx.budgetMs),
  ];
}

/** The row from the child's own count and time; its CPU time goes to stderr beside the bench's progress. */
function row(
  id: number,
  name: string,
  side: Measurement['side'],
  result: ChildResult,
): Measurement {
  if (result.cpuSeconds !== undefined && result.messages > 0) {
    const perMessage = (result.cpuSeconds * 1e6) / result.messages;
    process.stderr.write(
      `  ${name}: ${result.messages} msgs in ${result.seconds.toFixed(2)} s, ` +
        `CPU ${result.cpuSeconds.toFixed(2)} s (${perMessage.toFixed(1)} µs/msg)\n`,
    );
  }
  return measured(id, name, side, result.messages, 0, result.complete, result.seconds * 1000);
}

/** Runs `node <args>` from the repository root; its stderr passes through, its last stdout line is the result. */
function runChild(what: string, args: readonly string[], budgetMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...profileFlags(), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs + CHILD_GRACE_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`${what} exited with ${signal ?? code}; stdout: ${last || '(empty)'}`));
        return;
      }
      try {
        resolve(parseResult(last));
      } catch (error) {
        reject(new Error(`${what}: ${String(error)}; stdout: ${last || '(empty)'}`));
      }
    });
  });
}

/** `BENCH_CPU_PROF=<dir>`: each child writes a V8 CPU profile there (`node --cpu-prof`). */
function profileFlags(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

function parseResult(line: string): ChildResult {
  const value: unknown = JSON.parse(line);
  if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
  const { messages, seconds, complete, cpuSeconds } = value as Record<string, unknown>;
  if (typeof messages !== 'number' || typeof seconds !== 'number' || !(seconds > 0))
    throw new Error('no messages / seconds');
  return {
    messages,
    seconds,
    complete: complete !== false,
    ...(typeof cpuSeconds === 'number' ? { cpuSeconds } : {}),
  };
}

async function deleteConsumer(ctx: BenchContext, stream: string, name: string): Promise<void> {
  try {
    await ctx.jsm.consumers.delete(stream, name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === CONSUMER_NOT_FOUND)) throw error;
  }
}

/** `npm ci` in the peer's folder when its node_modules is missing (its own lock file, NestJS 11). */
async function ensurePeerInstalled(): Promise<void> {
  if (existsSync(join(PEER_DIR, 'node_modules', ...PEER_PACKAGE.split('/')))) return;
  process.stderr.write(`installing the transport peer: npm ci --prefix ${PEER_DIR}\n`);
  await new Promise<void>((resolve, reject) => {
    // stdout to stderr too: the bench's stdout is the report.
    const npm = spawn('npm', ['ci', '--prefix', PEER_DIR, '--no-audit', '--no-fund'], {
      cwd: ROOT,
      stdio: ['ignore', 2, 'inherit'],
    });
    npm.once('error', reject);
    npm.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm ci for the peer exited with ${code}`)),
    );
  });
}

function peerVersion(): string {
  const manifest: unknown = JSON.parse(
    readFileSync(
      join(PEER_DIR, 'node_modules', ...PEER_PACKAGE.split('/'), 'package.json'),
      'utf8',
    ),
  );
  const version =
    typeof manifest === 'object' && manifest !== null
      ? (manifest as Record<string, unknown>).version
      : undefined;
  return typeof version === 'string' ? version : 'unknown';
}
