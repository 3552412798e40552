import { Logger } from '@nestjs/common';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Bus } from '@runlog/bus';
import { loadConfig, type RunningServices, startServices } from '@runlog/platform';
import { freePort, type NatsServerHandle, startNats, waitFor } from '@runlog/testing';
import { ingestService } from '../../apps/ingest/src/ingest.service-definition';

Logger.overrideLogger(['error']);

/** A NATS server of the test file's own (it is killed and started again), streams provisioned. */
export interface SdkServer {
  readonly nats: NatsServerHandle;
  /** A connection for looking at the streams (it reconnects across outages). */
  readonly nc: NatsConnection;
  close(): Promise<void>;
}

export async function startServer(): Promise<SdkServer> {
  const nats = await startNats({ dedicated: true });
  const bus = await Bus.connect({
    servers: [nats.url],
    name: 'sdk-test-provision',
    streams: { replicas: 1, maxAgeMs: {} },
  });
  await bus.close();
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  return {
    nats,
    nc,
    close: async () => {
      await nc.close().catch(() => undefined);
      await nats.stop();
    },
  };
}

/** ingest on a fixed port (so it can be stopped and started again at the same URL). */
export interface IngestApp {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startIngestApp(natsUrl: string): Promise<IngestApp> {
  const port = await freePort();
  const config = loadConfig({
    NATS_URL: natsUrl,
    INGEST_PORT: String(port),
    OTLP_HTTP_PORT: 'off',
    RUNLOG_HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  });
  let running: RunningServices | undefined = await startServices([ingestService], config);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await running?.close();
      running = undefined;
    },
    start: async () => {
      running ??= await startServices([ingestService], config);
    },
  };
}

/**
 * Every stored event (structured JSON) on one subject of a stream, in stream order; tried
 * again while the connection is still coming back from an outage.
 */
export function readSubject(
  nc: NatsConnection,
  stream: string,
  subject: string,
): Promise<Array<Record<string, unknown>>> {
  return waitFor(`reading ${subject}`, () => readOnce(nc, stream, subject), {
    timeoutMs: 20_000,
    intervalMs: 100,
  });
}

async function readOnce(
  nc: NatsConnection,
  stream: string,
  subject: string,
): Promise<Array<Record<string, unknown>>> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, { filter_subjects: subject });
  try {
    const { num_pending: total } = await consumer.info(true);
    const found: Array<Record<string, unknown>> = [];
    if (total === 0) return found;
    const messages = await consumer.consume({ max_messages: 1_000 });
    for await (const message of messages) {
      found.push(message.json<Record<string, unknown>>());
      if (message.info.pending === 0) break;
    }
    messages.stop();
    return found;
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

/** How often each id occurs. */
export function occurrences(events: ReadonlyArray<Record<string, unknown>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    const id = String(event['id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The p-th percentile of samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
