// The four services in one process on a three-node JetStream cluster (streams, the run
// state bucket and the durables at three replicas), a producer of async ingress that
// retries what the cluster could not take during an election, and a readiness probe of
// every service.
import { setTimeout as delay } from 'node:timers/promises';
import { type Bus } from '@runlog/bus';
import {
  dataKey,
  encode,
  FAMILIES,
  type Family,
  ingestSubject,
  type RunlogEvent,
} from '@runlog/contracts';
import { loadConfig, type RunningServices, startServices } from '@runlog/platform';
import { createTestDatabase, type TestDatabase } from '@runlog/testing';
import { ingestService } from '../../apps/ingest/src/ingest.service-definition';
import { leaseHistoryService } from '../../apps/lease-history/src/lease-history.service-definition';
import { type DurabilityMode } from '../../apps/normalizer/src/mapping';
import { normalizerService } from '../../apps/normalizer/src/normalizer.service-definition';
import { traceStoreService } from '../../apps/trace-store/src/trace-store.service-definition';
import { type ClusterFixture, startClusterFixture } from './cluster-fixtures';

/** The services, by the name their definition gives. */
export type ServiceName = 'ingest' | 'normalizer' | 'lease-history' | 'trace-store';

export interface ClusterServices {
  readonly fx: ClusterFixture;
  readonly services: RunningServices;
  /** Each service's base URL (`http://127.0.0.1:<port>`). */
  readonly urls: Readonly<Record<ServiceName, string>>;
  close(): Promise<void>;
}

/**
 * A three-node cluster with every runlog stream at three replicas, and the four services
 * started in one process on it, as `npm start` would with `NATS_URL` naming the three
 * nodes and `RUNLOG_STREAM_REPLICAS=3`, on embedded PGlite.
 */
export async function startClusterServices(mode: DurabilityMode): Promise<ClusterServices> {
  const fx = await startClusterFixture(FAMILIES);
  let database: TestDatabase | undefined;
  let services: RunningServices | undefined;
  const close = async (): Promise<void> => {
    await services?.close().catch(() => undefined);
    await fx.close();
    await database?.drop();
  };
  try {
    database = await createTestDatabase('pglite');
    if (database.kind !== 'pglite') throw new Error('expected an embedded PGlite database');
    const config = loadConfig({
      NATS_URL: fx.cluster.urls.join(','),
      RUNLOG_STREAM_REPLICAS: '3',
      INGEST_PORT: '0',
      OTLP_HTTP_PORT: 'off',
      LEASE_HISTORY_PORT: '0',
      TRACE_STORE_PORT: '0',
      NORMALIZER_PORT: '0',
      RUNLOG_HTTP_HOST: '127.0.0.1',
      RUNLOG_DATA_DIR: database.dataDir,
      NORMALIZER_DURABILITY: mode,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    services = await startServices(
      [ingestService, normalizerService, leaseHistoryService, traceStoreService],
      config,
    );
  } catch (error) {
    await close();
    throw error;
  }
  const running = services;
  const url = (name: ServiceName): string => {
    const app = running.apps.find((a) => a.name === name);
    if (!app) throw new Error(`no ${name} app`);
    return app.url.replace('[::1]', '127.0.0.1');
  };
  return {
    fx,
    services: running,
    urls: {
      ingest: url('ingest'),
      normalizer: url('normalizer'),
      'lease-history': url('lease-history'),
      'trace-store': url('trace-store'),
    },
    close,
  };
}

/** An async ingress publish that RUNLOG_INGEST answered with a PubAck. */
export interface IngressAck<F extends Family> {
  readonly event: RunlogEvent<F>;
  /** Its sequence in RUNLOG_INGEST. */
  readonly seq: number;
  /** When its first attempt started, and when the PubAck came (ms since the epoch). */
  readonly startedAt: number;
  readonly at: number;
  /** Answered `duplicate: true`: an earlier attempt, answered with an error, had stored it. */
  readonly duplicate: boolean;
}

/**
 * A producer of async ingress: a JetStream publish of each event to
 * `ingest.<family>.<key>` with msgID = its id, `lanes` in flight, at a bounded rate. A
 * publish answered with an error (an election under way, the connection failing over) is
 * sent again, the same event, until it is answered with a PubAck: ids dedupe.
 */
export class IngressProducer<F extends Family> {
  readonly accepted: IngressAck<F>[] = [];
  /** Attempts answered with an error, each retried. */
  errors = 0;
  private made = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly make: (index: number) => RunlogEvent<F>,
    private readonly lanes = 4,
    private readonly paceMs = 20,
  ) {}

  start(): this {
    const lane = async (): Promise<void> => {
      while (!this.stopping) {
        const event = this.make(this.made++);
        const key = dataKey(event.family, event.data);
        if (key === undefined) throw new Error(`${event.id} has no key`);
        const subject = ingestSubject(event.family, key);
        const body = JSON.stringify(encode(event));
        const startedAt = Date.now();
        for (;;) {
          try {
            const ack = await this.bus.js.publish(subject, body, { msgID: event.id });
            const { seq, duplicate } = ack;
            this.accepted.push({ event, seq, startedAt, at: Date.now(), duplicate });
            break;
          } catch {
            this.errors++;
            await delay(100); // a bounded retry rate
          }
        }
        await delay(this.paceMs); // a bounded rate
      }
    };
    this.loop ??= Promise.all(Array.from({ length: this.lanes }, lane)).then(() => undefined);
    return this;
  }

  /** Stops making events; resolves once every event made has a PubAck. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  acceptedSince(at: number): number {
    return this.accepted.filter((a) => a.at > at).length;
  }

  /** The first event acked whose first attempt started after `at`, if one was. */
  firstStartedAfter(at: number): IngressAck<F> | undefined {
    return this.accepted
      .filter((a) => a.startedAt > at)
      .reduce<IngressAck<F> | undefined>(
        (first, a) => (!first || a.at < first.at ? a : first),
        undefined,
      );
  }
}

/** A readiness answer slower than this counts as not ready (a supervisor's probe gives up too). */
const PROBE_TIMEOUT_MS = 3_000;

/** One `GET /health/ready` of a service: when it was asked, when answered, and the status (0: no answer). */
export interface ReadinessAnswer {
  readonly service: ServiceName;
  readonly startedAt: number;
  readonly answeredAt: number;
  readonly status: number;
}

/** Asks every service's `/health/ready` over and over, one request in flight per service. */
export class ReadinessProbe {
  readonly answers: ReadinessAnswer[] = [];
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly urls: Readonly<Record<ServiceName, string>>,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    const probe = async (service: ServiceName): Promise<void> => {
      while (!this.stopping) {
        const startedAt = Date.now();
        let status = 0;
        try {
          const response = await fetch(`${this.urls[service]}/health/ready`, {
            signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
          });
          await response.arrayBuffer();
          status = response.status;
        } catch {
          // no answer in time: not ready
        }
        this.answers.push({ service, startedAt, answeredAt: Date.now(), status });
        await delay(this.intervalMs); // a bounded rate
      }
    };
    const services = Object.keys(this.urls) as ServiceName[];
    this.loop ??= Promise.all(services.map(probe)).then(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** True once the latest answer of every service, asked after `at`, is 200. */
  allReadySince(at: number): boolean {
    return (Object.keys(this.urls) as ServiceName[]).every(
      (service) => this.latest(service, at)?.status === 200,
    );
  }

  /**
   * How long after `at` each service answered 200 again: its first 200 asked after its
   * last other answer (asked after `at`); undefined when it has not yet.
   */
  readyAgainAfter(at: number): Record<ServiceName, number | undefined> {
    const result = {} as Record<ServiceName, number | undefined>;
    for (const service of Object.keys(this.urls) as ServiceName[]) {
      const since = this.answers.filter((a) => a.service === service && a.startedAt >= at);
      const lastBad = since.filter((a) => a.status !== 200).at(-1);
      const ready = since.find(
        (a) => a.status === 200 && (!lastBad || a.startedAt > lastBad.startedAt),
      );
      result[service] = ready ? ready.answeredAt - at : undefined;
    }
    return result;
  }

  /** Answers other than 200 to requests asked after `at`, per service. */
  notReadySince(at: number): Record<ServiceName, number> {
    const result = {} as Record<ServiceName, number>;
    for (const service of Object.keys(this.urls) as ServiceName[])
      result[service] = this.answers.filter(
        (a) => a.service === service && a.startedAt >= at && a.status !== 200,
      ).length;
    return result;
  }

  private latest(service: ServiceName, at: number): ReadinessAnswer | undefined {
    return this.answers.filter((a) => a.service === service && a.startedAt >= at).at(-1);
  }
}
