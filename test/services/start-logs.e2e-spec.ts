import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startNats, type NatsServerHandle, waitFor } from '@runlog/testing';
import { WIRING_CONTEXTS } from '@runlog/platform';
import { exited, linesMatching } from './child-output';

const root = resolve(__dirname, '../..');
const SERVICES = ['ingest', 'normalizer', 'lease-history', 'trace-store', 'console'] as const;
const PORT_VARIABLES: Record<(typeof SERVICES)[number], string> = {
  ingest: 'INGEST_PORT',
  normalizer: 'NORMALIZER_PORT',
  'lease-history': 'LEASE_HISTORY_PORT',
  'trace-store': 'TRACE_STORE_PORT',
  console: 'CONSOLE_PORT',
};

interface LogLine {
  readonly name?: string;
  readonly context?: string;
  readonly msg?: string;
  readonly req?: { readonly id?: string };
}

describe('what `npm start` says at the default level', () => {
  let nats: NatsServerHandle;
  let dataDir: string;

  beforeAll(async () => {
    execFileSync('node', [join(root, 'scripts/ensure-built.mjs')], { cwd: root, stdio: 'inherit' });
    nats = await startNats({ dedicated: true });
    dataDir = mkdtempSync(join(tmpdir(), 'runlog-start-logs-'));
  }, 180_000);

  afterAll(async () => {
    await nats?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("labels each service's lines with its own name, says where the data goes, and keeps Nest's wiring at debug", async () => {
    const ports = Object.fromEntries(
      await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const)),
    ) as Record<(typeof SERVICES)[number], number>;
    const child = spawn(process.execPath, [join(root, 'dist/apps/standalone/src/main.js')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NATS_URL: nats.url,
        RUNLOG_DATA_DIR: dataDir,
        RUNLOG_HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        LOG_PRETTY: '0',
        OTLP_HTTP_PORT: 'off',
        ...Object.fromEntries(SERVICES.map((s) => [PORT_VARIABLES[s], String(ports[s])])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = exited(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const [setup] = await linesMatching(child, /^runlog NATS /, 1);
      expect(setup).toBe(`runlog NATS ${nats.url} · store PGlite in ${dataDir} · protected mode`);

      // One request to each service: its request line must carry that service's name.
      for (const service of SERVICES) {
        const answer = await fetch(`http://127.0.0.1:${ports[service]}/v1/no-such-route`, {
          headers: { 'x-request-id': `start-logs-${service}` },
        });
        expect(answer.status).toBe(404);
      }
      const requestLines = await waitFor(
        'a request line from every service',
        () => {
          const found = jsonLines(output).filter((l) => l.req?.id?.startsWith('start-logs-'));
          return found.length >= SERVICES.length ? found : undefined;
        },
        { timeoutMs: 5_000 },
      );
      for (const line of requestLines) expect(`start-logs-${line.name}`).toBe(line.req?.id);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exit).toBe(0);

    const lines = jsonLines(output);
    // Each service's bus says it connected, under that service's name.
    for (const service of SERVICES.filter((s) => s !== 'console'))
      expect(lines).toContainEqual(
        expect.objectContaining({
          name: service,
          context: 'Bus',
          msg: expect.stringContaining(`as runlog-${service}`) as string,
        }),
      );
    expect(lines.filter((l) => l.context !== undefined && WIRING_CONTEXTS.has(l.context))).toEqual(
      [],
    );
    // What is left at info is a few lines per service, not the ~200 of the wiring.
    expect(lines.length).toBeLessThan(60);
  }, 90_000);
});

function jsonLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}
