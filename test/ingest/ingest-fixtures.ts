import { Logger } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { exampleEvent, type Family, FAMILIES, type KindOf, streamName } from '@runlog/contracts';
import { loadConfig, type RunningServices, startServices } from '@runlog/platform';
import { startNats, type NatsServerHandle, uniqueName } from '@runlog/testing';
import { ingestService } from '../../apps/ingest/src/ingest.service-definition';

Logger.overrideLogger(['error']);

/** ingest on a free port, on a NATS server of its own (family stream names are fixed). */
export interface IngestFixture {
  readonly server: NatsServerHandle;
  readonly services: RunningServices;
  readonly url: string;
  /** A separate connection for looking at the streams. */
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  post(body: unknown, init?: { headers?: Record<string, string>; raw?: string }): Promise<Answer>;
  counts(): Promise<Record<Family, number>>;
  close(): Promise<void>;
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export async function startIngest(env: Record<string, string> = {}): Promise<IngestFixture> {
  const server = await startNats({ dedicated: true });
  const config = loadConfig({
    NATS_URL: server.url,
    INGEST_PORT: '0',
    OTLP_HTTP_PORT: 'off',
    RUNLOG_HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const services = await startServices([ingestService], config);
  const url = services.apps[0]!.url.replace('[::1]', '127.0.0.1');
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  return {
    server,
    services,
    url,
    nc,
    jsm,
    post: async (body, init = {}) => {
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...init.headers },
        body: init.raw ?? JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
    },
    counts: async () => {
      const entries = await Promise.all(
        FAMILIES.map(
          async (family) =>
            [family, (await jsm.streams.info(streamName(family))).state.messages] as const,
        ),
      );
      return Object.fromEntries(entries) as Record<Family, number>;
    },
    close: async () => {
      await services.close().catch(() => undefined);
      await nc.close().catch(() => undefined);
      await server.stop();
    },
  };
}

/** A valid envelope of a kind with a unique id. */
export function event<F extends Family>(
  family: F,
  kind: KindOf<F>,
  data: Record<string, unknown> = {},
): Record<string, unknown> & { id: string; data: Record<string, unknown> } {
  const base = exampleEvent(family, kind, { id: uniqueName(`${family}-${kind}`) });
  const envelope: Record<string, unknown> = {
    ...base,
    data: { ...(base.data as object), ...data },
  };
  delete envelope['subject']; // derived from data by ingest
  return envelope as never;
}
