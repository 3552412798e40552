// What the service-kill tests share: a producer of the HTTP API that records what ingest
// answered (and, when asked, retries a batch left unanswered), the environment a service
// process runs with, and the waits on a durable (mid-batch, caught up).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { RetentionPolicy } from '@nats-io/jetstream';
import { Bus } from '@runlog/bus';
import { encode, type Family, type RunlogEvent } from '@runlog/contracts';
import { freePort, type NatsServerHandle, startNats, uniqueName, waitFor } from '@runlog/testing';
import { ensureBuilt, type ServiceProcess, startServiceProcess } from './service-process';

/** How long the service-kill tests wait for a condition that needs no redelivery. */
export const WAIT_MS = 30_000;
/** The bus's default ack wait (every service's durable): what a killed process held comes back after it. */
export const ACK_WAIT_MS = 30_000;

/** An event ingest answered 202, at the cursor it named. */
export interface Accepted<F extends Family> {
  readonly event: RunlogEvent<F>;
  readonly cursor: string;
  /** When the request answered 202 was sent, and when the answer came (ms since the epoch). */
  readonly sentAt: number;
  readonly at: number;
  /** Answered `duplicate: true`: an earlier, unanswered attempt had stored it. */
  readonly duplicate: boolean;
}

export interface HttpProducerOptions {
  readonly lanes?: number;
  readonly batchSize?: number;
  /**
   * Retry a batch whose request got no answer (the connection refused or cut) with the
   * same events, until ingest answers: what a producer does when ingest itself is killed.
   * Without it such a failure is recorded in `refused` and the lane moves on.
   */
  readonly retryUnanswered?: boolean;
  /**
   * Retry a batch answered 503 (JetStream did not take some of it: a NATS election) with
   * the same events, until ingest answers 202: ids dedupe, what was written answers
   * `duplicate: true`. Without it a 503 is recorded in `refused` and the lane moves on.
   */
  readonly retryUnavailable?: boolean;
  /** A lane's pause between two batches (ms): a bounded rate. */
  readonly paceMs?: number;
}

/** One request that got no HTTP answer: its events and why. */
export interface Unanswered {
  readonly ids: readonly string[];
  readonly error: string;
}

/**
 * A producer of the HTTP API: POSTs batches to ingest's /v1/events back to back, `lanes`
 * requests in flight, and records every event answered 202 with its cursor.
 */
export class HttpProducer<F extends Family> {
  readonly accepted: Accepted<F>[] = [];
  /** Answers other than 202, and requests that failed without `retryUnanswered`. */
  readonly refused: string[] = [];
  /** Requests that got no answer (each retried with the same events when `retryUnanswered`). */
  readonly unanswered: Unanswered[] = [];
  /** Requests answered 503 (each retried with the same events when `retryUnavailable`). */
  unavailable = 0;
  private count = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly lanes: number;
  private readonly batchSize: number;
  private readonly retryUnanswered: boolean;
  private readonly retryUnavailable: boolean;
  private readonly paceMs: number;

  constructor(
    private readonly url: string,
    private readonly make: (index: number) => RunlogEvent<F>,
    {
      lanes = 2,
      batchSize = 20,
      retryUnanswered = false,
      retryUnavailable = false,
      paceMs = 10,
    }: HttpProducerOptions = {},
  ) {
    this.lanes = lanes;
    this.batchSize = batchSize;
    this.retryUnanswered = retryUnanswered;
    this.retryUnavailable = retryUnavailable;
    this.paceMs = paceMs;
  }

  start(): this {
    const lane = async (): Promise<void> => {
      while (!this.stopping) {
        const events = Array.from({ length: this.batchSize }, () => this.make(this.count++));
        // A batch left unanswered is sent again, the same events, until ingest answers.
        while (!(await this.post(events))) await delay(50); // a bounded retry rate
        await delay(this.paceMs); // a bounded rate
      }
    };
    this.loop ??= Promise.all(Array.from({ length: this.lanes }, lane)).then(() => undefined);
    return this;
  }

  /** Stops making batches; resolves once every batch made has been answered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** Events answered 202 after `at`. */
  acceptedSince(at: number): number {
    return this.accepted.filter((a) => a.at > at).length;
  }

  /**
   * The first event answered 202 (and not as a duplicate) to a request sent after `at`:
   * an event stored after `at`. Undefined when there is none yet.
   */
  firstSentAfter(at: number): Accepted<F> | undefined {
    return this.accepted.find((a) => a.sentAt > at && !a.duplicate);
  }

  /** Events made so far (in batches sent, answered or not). */
  get made(): number {
    return this.count;
  }

  /** False when the request got no answer and is to be sent again. */
  private async post(events: readonly RunlogEvent<F>[]): Promise<boolean> {
    let response: Response;
    let body: { accepted?: Array<{ index: number; cursor: string; duplicate: boolean }> };
    const sentAt = Date.now();
    try {
      response = await fetch(`${this.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events.map((event) => encode(event))),
        signal: AbortSignal.timeout(20_000),
      });
      body = (await response.json()) as typeof body;
    } catch (error) {
      const reason = error instanceof Error ? `${error.message} ${String(error.cause)}` : 'failed';
      this.unanswered.push({ ids: events.map((event) => event.id), error: reason });
      if (this.retryUnanswered) return false;
      this.refused.push(`no answer: ${reason}`);
      return true;
    }
    if (response.status === 503) this.unavailable++;
    if (response.status === 503 && this.retryUnavailable) return false;
    if (response.status !== 202 || !body.accepted) {
      this.refused.push(`${response.status} ${JSON.stringify(body)}`);
      return true;
    }
    const at = Date.now();
    for (const entry of body.accepted) {
      const event = events[entry.index]!;
      this.accepted.push({ event, cursor: entry.cursor, sentAt, at, duplicate: entry.duplicate });
    }
    return true;
  }
}

/**
 * A NATS server of the test's own (durables and the KV bucket have fixed names), a data
 * directory, an admin bus on it, and the service processes the test starts.
 */
export interface KillHarness {
  readonly nats: NatsServerHandle;
  readonly admin: Bus;
  /** A service process's environment on this server and directory, its HTTP port a free one. */
  environment(
    portVariable: string,
    extra?: Readonly<Record<string, string>>,
  ): Promise<Record<string, string>>;
  /** Starts `dist/apps/<service>` with `env`; whatever still runs is killed at {@link close}. */
  start(service: string, env: Readonly<Record<string, string>>): Promise<ServiceProcess>;
  close(): Promise<void>;
}

export async function startKillHarness(): Promise<KillHarness> {
  ensureBuilt();
  const nats = await startNats({ dedicated: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'runlog-faults-'));
  const services: ServiceProcess[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(services.map((service) => service.kill()));
    await admin?.close();
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let admin: Bus | undefined;
  try {
    admin = await Bus.connect({
      servers: [nats.url],
      name: uniqueName('faults-admin'),
      streams: { replicas: 1, maxAgeMs: {} },
    });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    nats,
    admin,
    environment: async (portVariable, extra = {}) => ({
      NATS_URL: nats.url,
      RUNLOG_DATA_DIR: dataDir,
      RUNLOG_HTTP_HOST: '127.0.0.1',
      [portVariable]: String(await freePort()),
      OTLP_HTTP_PORT: 'off',
      LOG_LEVEL: 'error',
      LOG_PRETTY: '0',
      ...extra,
    }),
    start: async (service, env) => {
      const started = await startServiceProcess(service, env);
      services.push(started);
      return started;
    },
    close,
  };
}

/** A durable's state as the server reports it. */
export type DurableInfo = Awaited<ReturnType<Bus['manager']['consumers']['info']>>;

/** Resolves once `durable` has acked at least `acked` messages and holds some unacked. */
export async function midBatch(
  bus: Bus,
  stream: string,
  durable: string,
  acked: number,
): Promise<DurableInfo> {
  return waitFor(
    `${durable} acked ${acked} messages and holds some unacked`,
    async () => {
      const info = await bus.manager.consumers.info(stream, durable);
      return info.ack_floor.stream_seq >= acked && info.num_ack_pending > 0 ? info : undefined;
    },
    { timeoutMs: WAIT_MS, intervalMs: 20 },
  );
}

/**
 * Resolves once `durable` has acked every message up to the stream's last sequence and
 * has nothing pending or in flight (for a work-queue stream: the stream is empty too).
 */
export async function caughtUp(
  bus: Bus,
  stream: string,
  durable: string,
  timeoutMs = ACK_WAIT_MS + WAIT_MS,
): Promise<void> {
  let last = '';
  await waitFor(
    `${durable} caught up with ${stream}`,
    async () => {
      const { state, config } = await bus.manager.streams.info(stream);
      const info = await bus.manager.consumers.info(stream, durable);
      last = `${stream} last_seq ${state.last_seq}, ${state.messages} messages; ${durable} ack floor ${info.ack_floor.stream_seq}, ${info.num_pending} pending, ${info.num_ack_pending} unacked, ${info.num_redelivered} redelivered`;
      const done =
        info.ack_floor.stream_seq >= state.last_seq &&
        info.num_ack_pending + info.num_pending === 0 &&
        (config.retention !== RetentionPolicy.Workqueue || state.messages === 0);
      return done ? true : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  ).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)} (${last})`);
  });
}

/** The figures of one kill, for the closing note (one stderr line per test). */
export interface KillFigures {
  readonly accepted: number;
  readonly unacked: number;
  readonly killedAt: number;
  readonly startedAt: number;
  readonly restartedAt: number;
  readonly caughtUpAt: number;
  /** Further figures, `key value` pairs appended as they are. */
  readonly more?: readonly string[];
}

export function reportKill(service: string, figures: KillFigures): void {
  const { accepted, unacked, killedAt, startedAt, restartedAt, caughtUpAt, more = [] } = figures;
  process.stderr.write(
    `[faults] ${service} kill -9: ${accepted} events accepted, ` +
      `${unacked} unacked in the killed process, ` +
      `down ${restartedAt - killedAt} ms (its start took ${restartedAt - startedAt} ms), ` +
      `caught up ${caughtUpAt - restartedAt} ms after the restart` +
      more.map((figure) => `, ${figure}`).join('') +
      '\n',
  );
}
