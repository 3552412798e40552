// The console against the real thing: a NATS server of its own, ingest, lease-history and
// trace-store on PGlite, the console serving its Vite build, and Debian's Chromium driven by
// playwright-core. Every address is 127.0.0.1; the browser may reach nothing else.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type RunningServices, startServices } from '@runlog/platform';
import {
  createTestDatabase,
  freePort,
  startNats,
  type NatsServerHandle,
  type TestDatabase,
  uniqueName,
} from '@runlog/testing';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { consoleService } from '../../apps/console/src/console.service-definition';
import { ingestService } from '../../apps/ingest/src/ingest.service-definition';
import { leaseHistoryService } from '../../apps/lease-history/src/lease-history.service-definition';
import { traceStoreService } from '../../apps/trace-store/src/trace-store.service-definition';

export const root = resolve(__dirname, '../..');
export const WEB_ROOT = join(root, 'dist/apps/console/web');
export const SCREENSHOTS = join(root, 'test-results');
export const CHROMIUM = '/usr/bin/chromium';
/** The flags of every browser test here: no sandbox (root in CI), no network of its own. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A `read` key (what the console's user holds) and a key that may only write events. */
export const READ_KEY = `read-${uniqueName('key')}-0123456789`;
export const WRITE_KEY = `write-${uniqueName('key')}-0123456789`;

export interface ConsoleFixture {
  readonly consoleUrl: string;
  readonly ingestUrl: string;
  readonly traceStoreUrl: string;
  readonly leaseHistoryUrl: string;
  readonly browser: Browser;
  /** A browser context whose requests to anything but 127.0.0.1 fail and are listed here. */
  context(): Promise<BrowserContext>;
  readonly foreignRequests: string[];
  /** POST /v1/events to ingest with the write key; throws unless 202. */
  post(events: readonly object[]): Promise<void>;
  close(): Promise<void>;
}

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  // The console serves the build: make it when the sources are newer (as `npm start` does).
  execFileSync('node', [join(root, 'scripts/ensure-built.mjs')], { cwd: root, stdio: 'inherit' });
  if (!existsSync(join(WEB_ROOT, 'index.html'))) throw new Error(`no console build at ${WEB_ROOT}`);
  mkdirSync(SCREENSHOTS, { recursive: true });

  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const nats: NatsServerHandle = await startNats({ dedicated: true });
    closers.push(() => nats.stop());
    const database: TestDatabase = await createTestDatabase('pglite');
    closers.push(() => database.drop());
    if (database.kind !== 'pglite') throw new Error('the console test runs on PGlite');
    const [ingest, leaseHistory, traceStore, consolePort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const config = loadConfig({
      NATS_URL: nats.url,
      RUNLOG_DATA_DIR: database.dataDir,
      RUNLOG_HTTP_HOST: '127.0.0.1',
      RUNLOG_API_KEYS: `${READ_KEY}=read;${WRITE_KEY}=trace,lease_history,completion`,
      INGEST_PORT: String(ingest),
      OTLP_HTTP_PORT: 'off',
      LEASE_HISTORY_PORT: String(leaseHistory),
      TRACE_STORE_PORT: String(traceStore),
      CONSOLE_PORT: String(consolePort),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    const services: RunningServices = await startServices(
      [ingestService, leaseHistoryService, traceStoreService, consoleService(WEB_ROOT)],
      config,
    );
    closers.push(() => services.close());
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    closers.push(() => browser.close());

    const foreignRequests: string[] = [];
    const ingestUrl = `http://127.0.0.1:${ingest}`;
    return {
      consoleUrl: `http://127.0.0.1:${consolePort}`,
      ingestUrl,
      traceStoreUrl: `http://127.0.0.1:${traceStore}`,
      leaseHistoryUrl: `http://127.0.0.1:${leaseHistory}`,
      browser,
      foreignRequests,
      context: async () => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await context.route('**/*', async (route) => {
          const url = new URL(route.request().url());
          if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
          foreignRequests.push(url.href);
          return route.abort();
        });
        return context;
      },
      post: async (events) => {
        const response = await fetch(`${ingestUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
          body: JSON.stringify(events),
        });
        if (response.status !== 202)
          throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** CloudEvents of one trace, `seq` from 0, `stepMs` apart from `startMs` (epoch ms). */
export class TraceEvents {
  readonly events: object[] = [];
  private seq = 0;
  constructor(
    readonly requestId: string,
    private readonly startMs: number,
    private readonly stepMs = 10,
  ) {}

  add(
    kind: string,
    opName: string | undefined,
    payload: Record<string, unknown>,
    ctx: readonly string[] = ['main'],
  ): this {
    const seq = this.seq++;
    this.events.push({
      specversion: '1.0',
      id: `${this.requestId}-${seq}`,
      source: 'test/console',
      type: `runlog.trace.${kind}`,
      data: {
        event_id: `${this.requestId}-e${seq}`,
        request_id: this.requestId,
        ...(opName === undefined ? {} : { op_name: opName }),
        ctx,
        timestamp: new Date(this.startMs + seq * this.stepMs).toISOString(),
        seq,
        payload,
      },
    });
    return this;
  }

  /** The events added since `from` (an index into `events`). */
  since(from: number): object[] {
    return this.events.slice(from);
  }
}

/** A CloudEvent of the lease_history or completion family. */
export function leaseEvent(
  family: 'lease_history' | 'completion',
  kind: string,
  data: Record<string, unknown>,
): object {
  return {
    specversion: '1.0',
    id: uniqueName(`${family}-${kind}`),
    source: 'test/console',
    type: `runlog.${family}.${kind}`,
    data,
  };
}
