import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  DEADLETTER_STREAM,
  exampleData,
  exampleEvent,
  FAMILIES,
  INGEST_STREAM,
  streamName,
} from '@runlog/contracts';
import { freePort, startNats, type NatsServerHandle, waitFor } from '@runlog/testing';
import { RUN_STATE_BUCKET } from '../../apps/normalizer/src/run-state/run-state-store';
import { exited, linesMatching } from './child-output';

const root = resolve(__dirname, '../..');
const main = join(root, 'dist/apps/standalone/src/main.js');

describe('npm start (all four services and the console in one process)', () => {
  let nats: NatsServerHandle;
  let dataDir: string;

  beforeAll(async () => {
    // Builds when dist/ is older than the sources, as `npm start` does.
    execFileSync('node', [join(root, 'scripts/ensure-built.mjs')], { cwd: root, stdio: 'inherit' });
    nats = await startNats({ dedicated: true });
    dataDir = mkdtempSync(join(tmpdir(), 'runlog-start-'));
  }, 180_000);

  afterAll(async () => {
    await nats?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function environment(): Promise<NodeJS.ProcessEnv> {
    return {
      PATH: process.env.PATH,
      NATS_URL: nats.url,
      RUNLOG_DATA_DIR: dataDir,
      RUNLOG_HTTP_HOST: '127.0.0.1',
      INGEST_PORT: String(await freePort()),
      OTLP_HTTP_PORT: 'off',
      NORMALIZER_PORT: String(await freePort()),
      LEASE_HISTORY_PORT: String(await freePort()),
      TRACE_STORE_PORT: String(await freePort()),
      CONSOLE_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      LOG_PRETTY: '0',
    };
  }

  it('brings up four services and the console whose /health/ready answer 200, provisions the streams, and stops on SIGTERM', async () => {
    const env = await environment();
    const child = spawn(process.execPath, [main], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = exited(child);
    try {
      const lines = await linesMatching(child, /^runlog \S+ listening on /, 5);
      expect(lines.map((l) => l.split(' ')[1]).sort()).toEqual([
        'console',
        'ingest',
        'lease-history',
        'normalizer',
        'trace-store',
      ]);

      for (const port of [
        env.INGEST_PORT,
        env.NORMALIZER_PORT,
        env.LEASE_HISTORY_PORT,
        env.TRACE_STORE_PORT,
      ]) {
        const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
        const body = (await ready.json()) as {
          status: string;
          info: Record<string, { status: string }>;
        };
        expect(ready.status).toBe(200);
        expect(body.status).toBe('ok');
        expect(body.info.nats?.status).toBe('up');
        expect(body.info.streams?.status).toBe('up');
        if (port === env.LEASE_HISTORY_PORT || port === env.TRACE_STORE_PORT)
          expect(body.info.store?.status).toBe('up');
        expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
        const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain('runlog_process_cpu_seconds_total');
        const docs = await fetch(`http://127.0.0.1:${port}/docs-json`);
        expect(docs.status).toBe(200);
        expect(((await docs.json()) as { openapi: string }).openapi).toMatch(/^3\./);
        expect((await fetch(`http://127.0.0.1:${port}/docs`)).status).toBe(200);
        const missing = await fetch(`http://127.0.0.1:${port}/no/such/route`);
        expect(missing.status).toBe(404);
        expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
          'not_found',
        );
      }

      // The console: ready once the services it reads answer; its pages are served.
      const consoleUrl = `http://127.0.0.1:${env.CONSOLE_PORT}`;
      const consoleReady = await fetch(`${consoleUrl}/health/ready`);
      const consoleHealth = (await consoleReady.json()) as {
        info: Record<string, { status: string }>;
      };
      expect(consoleReady.status).toBe(200);
      expect(consoleHealth.info['trace-store']?.status).toBe('up');
      expect(consoleHealth.info['lease-history']?.status).toBe('up');
      const traces = await fetch(`${consoleUrl}/traces`);
      expect(traces.status).toBe(200);
      expect(await traces.text()).toContain('<div id="app">');

      const nc = await connect({ servers: nats.url });
      try {
        const jsm = await jetstreamManager(nc);
        const names: string[] = [];
        for await (const info of jsm.streams.list()) names.push(info.config.name);
        expect(names.sort()).toEqual(
          [
            ...FAMILIES.map(streamName),
            INGEST_STREAM,
            DEADLETTER_STREAM,
            `KV_${RUN_STATE_BUCKET}`, // the normalizer's run state
          ].sort(),
        );
      } finally {
        await nc.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exit).toBe(0);
  }, 60_000);

  it('refuses to start on an invalid variable, naming it', async () => {
    const env = {
      ...(await environment()),
      INGEST_PORT: 'eighty',
      OTLP_HTTP_PORT: 'off',
      NORMALIZER_DURABILITY: 'sometimes',
    };
    const child = spawn(process.execPath, [main], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('INGEST_PORT');
    expect(stderr).toContain('NORMALIZER_DURABILITY');
  }, 30_000);
  it('logs JSON lines with a request id, and never a credential or an event payload', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(root, 'dist/apps/ingest/src/main.js')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NATS_URL: nats.url,
        RUNLOG_DATA_DIR: dataDir,
        RUNLOG_HTTP_HOST: '127.0.0.1',
        INGEST_PORT: String(port),
        OTLP_HTTP_PORT: 'off',
        RUNLOG_API_KEYS: 'key-secret-4711-0000=*',
        LOG_LEVEL: 'info',
        LOG_PRETTY: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = exited(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await linesMatching(child, /^runlog ingest listening on /, 1);
      const event = {
        ...exampleEvent('trace', 'op_start'),
        id: 'logged-event-1',
        data: {
          ...exampleData('trace', 'op_start'),
          payload: { inputs: { note: 'payload-marker-0815' } },
        },
      };
      const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer key-secret-4711-0000',
          'x-request-id': 'req-log-test-1',
        },
        body: JSON.stringify(event),
      });
      expect(response.status).toBe(202);
      expect(response.headers.get('x-request-id')).toBe('req-log-test-1');
      // The request log line, once pino has written it (no event to await from a child).
      const line = await waitFor(
        'the request log line',
        () => output.split('\n').find((l) => l.includes('"req-log-test-1"')),
        { timeoutMs: 5_000 },
      );
      const entry = JSON.parse(line) as {
        req?: { id?: string; headers?: Record<string, string> };
      };
      expect(entry.req?.id).toBe('req-log-test-1');
      expect(entry.req?.headers?.authorization).toBe('[redacted]');
    } finally {
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    }
    expect(output).not.toContain('key-secret-4711-0000');
    expect(output).not.toContain('payload-marker-0815');
  });
});
