// The four services, each as its own NATS user of deploy/nats/nats.conf (as compose runs
// them): they start, provision, consume and serve, and the server logs no violation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/transport-node';
import { exampleEvent, type Family, FAMILIES, type KindOf, streamName } from '@runlog/contracts';
import {
  loadConfig,
  type RunningServices,
  type ServiceDefinition,
  startServices,
} from '@runlog/platform';
import { uniqueName, waitFor } from '@runlog/testing';
import { ingestService } from '../../apps/ingest/src/ingest.service-definition';
import { leaseHistoryService } from '../../apps/lease-history/src/lease-history.service-definition';
import { normalizerService } from '../../apps/normalizer/src/normalizer.service-definition';
import { traceStoreService } from '../../apps/trace-store/src/trace-store.service-definition';
import { type NatsUser, type PermissionedNats, startPermissionedNats } from './permissioned-nats';

Logger.overrideLogger(['error']);

describe('the services on deploy/nats/nats.conf, each with its own NATS user', () => {
  let nats: PermissionedNats;
  const running: RunningServices[] = [];
  const dirs: string[] = [];
  const urls: Partial<Record<NatsUser, string>> = {};
  /** The operator's view of the server (the admin user). */
  let adminConnection: NatsConnection;
  let admin: JetStreamManager;

  async function start(user: NatsUser, definition: ServiceDefinition, port: string): Promise<void> {
    const dataDir = mkdtempSync(join(tmpdir(), `runlog-natsperm-${user}-`));
    dirs.push(dataDir);
    const config = loadConfig({
      ...nats.env(user),
      [port]: '0',
      OTLP_HTTP_PORT: 'off',
      RUNLOG_HTTP_HOST: '127.0.0.1',
      RUNLOG_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    });
    const services = await startServices([definition], config);
    running.push(services);
    urls[user] = services.apps[0]!.url.replace('[::1]', '127.0.0.1');
  }

  /** An envelope of a kind with a unique id, as a producer sends it. */
  function envelope<F extends Family>(family: F, kind: KindOf<F>) {
    return exampleEvent(family, kind, { id: uniqueName(`${family}-${kind}`) });
  }

  beforeAll(async () => {
    nats = await startPermissionedNats();
    adminConnection = await nats.connect('admin');
    admin = await jetstreamManager(adminConnection);
    // The compose order: ingest provisions the streams, the others start once it is healthy.
    await start('ingest', ingestService, 'INGEST_PORT');
    await start('trace-store', traceStoreService, 'TRACE_STORE_PORT');
    await start('normalizer', normalizerService, 'NORMALIZER_PORT');
    await start('lease-history', leaseHistoryService, 'LEASE_HISTORY_PORT');
  }, 120_000);

  afterAll(async () => {
    for (const services of running.splice(0).reverse())
      await services.close().catch(() => undefined);
    await adminConnection?.close();
    await nats?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('each is ready (its streams and durables checked with its own rights)', async () => {
    for (const user of ['ingest', 'trace-store', 'normalizer', 'lease-history'] as const) {
      const answer = await fetch(`${urls[user]}/health/ready`);
      expect([user, answer.status]).toEqual([user, 200]);
    }
    const names: string[] = [];
    for await (const name of admin.streams.names()) names.push(name);
    // ingest created every runlog stream; the normalizer its run-state bucket.
    expect(names).toEqual(
      expect.arrayContaining([...FAMILIES.map(streamName), 'RUNLOG_INGEST', 'RUNLOG_DEADLETTER']),
    );
    expect(names).toContain('KV_runlog_normalizer_runs');
  });

  it('events flow: HTTP and async ingress into ingest, on to trace-store, the normalizer and lease-history (SSE)', async () => {
    const trace = envelope('trace', 'op_start');
    const run = envelope('agent', 'run_start');
    const lease = envelope('lease_history', 'acquired');
    const posted = await fetch(`${urls.ingest}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([run, lease]),
    });
    expect(posted.status).toBe(202);

    // A producer through the async ingress: its user may publish only ingest.>.
    const producer = await nats.connect('producer');
    try {
      const ack = await jetstream(producer).publish(
        `ingest.trace.${uniqueName('k')}`,
        JSON.stringify(trace),
      );
      expect(ack.stream).toBe('RUNLOG_INGEST');
    } finally {
      await producer.close();
    }
    const requestId = (trace.data as { request_id: string }).request_id;
    const stored = await waitFor(
      'the trace at trace-store',
      async () => {
        const answer = await fetch(
          `${urls['trace-store']}/v1/traces/${encodeURIComponent(requestId)}`,
        );
        if (answer.status !== 200) return undefined;
        return JSON.stringify(await answer.json());
      },
      { timeoutMs: 20_000 },
    );
    expect(stored).toContain('"op_name":"agent.plan"');

    await waitFor(
      'the canonical RunStarted of the normalizer',
      async () =>
        (await admin.streams.info(streamName('canonical'))).state.messages > 0 ? true : undefined,
      { timeoutMs: 20_000 },
    );

    // lease-history's SSE stream replays through an ordered consumer of its own.
    const abort = new AbortController();
    const sse = await fetch(`${urls['lease-history']}/v1/lease-history/stream`, {
      signal: abort.signal,
    });
    expect(sse.status).toBe(200);
    const decoder = new TextDecoder();
    let text = '';
    try {
      for await (const chunk of sse.body as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (text.includes(lease.id)) break;
      }
    } finally {
      abort.abort();
    }
    expect(text).toContain(lease.id);
    // The client left: lease-history deletes its ordered consumer (its right to do so).
    await waitFor('the SSE consumer deleted', async () => {
      const names: string[] = [];
      for await (const info of admin.consumers.list(streamName('lease_history')))
        names.push(info.name);
      return names.length === 1 ? names : undefined;
    });

    // ingest's family tail (D43) replays the lease stream through an ordered consumer too.
    const tailAbort = new AbortController();
    const tail = await fetch(`${urls.ingest}/v1/stream/lease_history?after=0`, {
      signal: tailAbort.signal,
    });
    expect(tail.status).toBe(200);
    let tailText = '';
    try {
      for await (const chunk of tail.body as AsyncIterable<Uint8Array>) {
        tailText += decoder.decode(chunk, { stream: true });
        if (tailText.includes('event: caught_up')) break;
      }
    } finally {
      tailAbort.abort();
    }
    expect(tailText).toContain(lease.id);
    await waitFor('the tail consumer deleted', async () => {
      const names: string[] = [];
      for await (const info of admin.consumers.list(streamName('lease_history')))
        names.push(info.name);
      return names.length === 1 ? names : undefined;
    });
  }, 60_000);

  it('they shut down (drain, consumers stop) and the server logged no permission violation', async () => {
    for (const services of running.splice(0).reverse()) await services.close();
    expect(nats.violations()).toEqual([]);
  });
});
