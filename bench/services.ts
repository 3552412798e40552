// runlog's services as the bench runs them: each in a child process of its own (compiled by
// tsconfig.bench.json into dist-bench), so the load generator and the service never share
// an event loop, and the service's RSS is its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../libs/testing/src/free-port';
import { waitFor } from '../libs/testing/src/wait-for';

const ROOT = join(__dirname, '..', '..');
const ENTRIES = {
  ingest: 'dist-bench/apps/ingest/src/main.js',
  'trace-store': 'dist-bench/apps/trace-store/src/main.js',
  standalone: 'dist-bench/apps/standalone/src/main.js',
} as const;
const PORT_VARIABLES = {
  ingest: ['INGEST_PORT'],
  'trace-store': ['TRACE_STORE_PORT'],
  standalone: ['INGEST_PORT', 'NORMALIZER_PORT', 'LEASE_HISTORY_PORT', 'TRACE_STORE_PORT'],
} as const;

export interface ServiceProcess {
  readonly pid: number;
  /** `http://127.0.0.1:<port>` per port variable, e.g. `urls.INGEST_PORT`. */
  readonly urls: Readonly<Record<string, string>>;
  /** Resident set size of the service process, from /proc (Linux), in bytes. */
  rssBytes(): number | undefined;
  /** The highest resident set size since the start or the last resetPeak() (VmHWM), in bytes. */
  peakRssBytes(): number | undefined;
  /** Starts a new peak (writes 5 to /proc/<pid>/clear_refs); false where Linux refuses it. */
  resetPeak(): boolean;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s); removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts `entry` against `natsUrl`, with `databaseUrl` (PostgreSQL) or an embedded PGlite
 * in `dataDir` (a temporary directory when absent), and resolves once every HTTP server
 * answers `/health/ready` with 200. The data directory is removed at stop().
 */
export async function startService(
  entry: keyof typeof ENTRIES,
  natsUrl: string,
  databaseUrl?: string,
  dataDir = mkdtempSync(join(tmpdir(), `runlog-bench-${entry}-`)),
): Promise<ServiceProcess> {
  const urls: Record<string, string> = {};
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: natsUrl,
    RUNLOG_DATA_DIR: dataDir,
    RUNLOG_HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: '0',
    // Never the OTLP standard port 4318 (D42): benches run beside other services.
    OTLP_HTTP_PORT: 'off',
  };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  for (const variable of PORT_VARIABLES[entry]) {
    const port = await freePort();
    env[variable] = String(port);
    urls[variable] = `http://127.0.0.1:${port}`;
  }
  // BENCH_CPU_PROF=<dir>: each service writes a V8 CPU profile there when it exits.
  const profileDir = process.env.BENCH_CPU_PROF;
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(
    process.execPath,
    [...profile, '--require', './bench/register-paths.js', ENTRIES[entry]],
    { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<void> => {
    await stopChild(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const failed = exited.then((code) => {
      throw new Error(`${entry} exited with ${code} at start: ${stderr.join('').slice(-2000)}`);
    });
    // Handled here too: the child also exits at stop(), after the race is over.
    failed.catch(() => undefined);
    await Promise.race([failed, allReady(entry, Object.values(urls))]);
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${entry} has no pid`);
  return {
    pid,
    urls,
    rssBytes: () => statusBytes(pid, 'VmRSS'),
    peakRssBytes: () => statusBytes(pid, 'VmHWM'),
    resetPeak: () => resetPeak(pid),
    stop,
  };
}

async function allReady(entry: string, urls: readonly string[]): Promise<void> {
  await Promise.all(
    urls.map((url) =>
      waitFor(
        `${entry} ready at ${url}`,
        async () => ((await fetch(`${url}/health/ready`)).status === 200 ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 100 },
      ),
    ),
  );
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A size line of /proc/<pid>/status (`VmRSS`, `VmHWM`) in bytes. */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
