import {
  connect,
  type ConnectionOptions,
  headers as natsHeaders,
  type NatsConnection,
} from '@nats-io/transport-node';
import {
  type BusError,
  isMessageTooLarge,
  isTransientApiCode,
  PubAckInbox,
  publishError,
} from '@runlog/bus/core';
import {
  familySubject,
  HEADERS,
  ingestSubject,
  liveEngineSubject,
  type ValidationError,
} from '@runlog/contracts';
import { Backoff } from '../core/backoff';
import { type Entry } from '../core/entry';
import { Signal } from '../core/signal';
import { type Outcome, type Transport, type TransportListener } from '../core/transport';
import { describe } from '../core/describe';

/** Where events go: `ingest.<family>.<key>` (validated by ingest) or the family subject itself. */
export type NatsSinkMode = 'ingest' | 'direct';

export interface NatsTransportOptions {
  readonly servers: readonly string[];
  /** A connection to use instead of opening one; the transport never closes it. */
  readonly connection?: NatsConnection;
  readonly connectionOptions?: Omit<ConnectionOptions, 'servers'>;
  readonly name: string;
  readonly mode: NatsSinkMode;
  readonly ackTimeoutMs: number;
  readonly connectBackoff: { readonly initialMs: number; readonly maxMs: number };
}

const HEADROOM_BYTES = 4 * 1024;

/**
 * Publishes to JetStream through the bus core's {@link PubAckInbox} (protocol-level
 * publishes, PERF.md): a core publish per event with `Nats-Msg-Id` = event id, a whole
 * batch in flight at once, and each PubAck or failure turned into the sink's outcome.
 *
 * The connection is opened in the background and never blocks the producer: nats.js v3's
 * `connect()` rejects at once when no server answers (unless `waitOnFirstConnect`, which
 * cannot be cancelled), so the transport retries it with backoff until `close()`. Once
 * connected, nats.js reconnects forever. On a disconnect every pending publish fails at
 * once (as `retry`), so the sink re-sends the batch as soon as the connection is back.
 */
export class NatsTransport implements Transport {
  private nc: NatsConnection | undefined;
  private up = false;
  private closing = false;
  private listener: TransportListener | undefined;
  private acks: PubAckInbox | undefined;
  private readonly wake = new Signal();

  constructor(private readonly options: NatsTransportOptions) {}

  get ready(): boolean {
    return this.up && this.nc !== undefined && !this.nc.isClosed();
  }

  get connected(): boolean {
    return this.ready;
  }

  maxEventBytes(): number {
    const max = this.nc?.info?.max_payload;
    return max === undefined ? Number.MAX_SAFE_INTEGER : max - HEADROOM_BYTES;
  }

  start(listener: TransportListener): void {
    this.listener = listener;
    if (this.options.connection) this.attach(this.options.connection);
    else void this.connectLoop();
  }

  send(batch: readonly Entry[]): Promise<Outcome[]> {
    const { nc, acks } = this;
    if (!nc || !acks || !this.ready)
      return Promise.resolve(
        batch.map(() => ({ kind: 'retry', message: 'not connected to NATS' })),
      );
    return Promise.all(batch.map((entry) => this.publish(nc, acks, entry)));
  }

  async close(): Promise<void> {
    this.closing = true;
    // A connect attempt under way closes what it gets (see connectLoop); not waited for.
    this.wake.notify();
    this.acks?.close('the sink is closing');
    const nc = this.nc;
    if (!nc || this.options.connection) return;
    // Our own connection: flush what is written, bounded (NATS may be unreachable).
    await Promise.race([
      nc.drain().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  }

  private async publish(nc: NatsConnection, acks: PubAckInbox, entry: Entry): Promise<Outcome> {
    const live =
      this.options.mode === 'direct' &&
      entry.family === 'engine' &&
      entry.kind !== 'request_served';
    const subject = live
      ? liveEngineSubject(entry.key as string)
      : this.options.mode === 'ingest'
        ? ingestSubject(entry.family, entry.key)
        : familySubject(entry.family, entry.key);
    try {
      if (live) {
        // Lifecycle kinds are never stored (DESIGN.md §3): core NATS, at most once.
        nc.publish(subject, entry.body);
        return { kind: 'acked', duplicate: false };
      }
      const headers = natsHeaders();
      headers.set(HEADERS.msgId, entry.id);
      headers.set(HEADERS.type, entry.type);
      headers.set(HEADERS.source, entry.source);
      headers.set(HEADERS.id, entry.id);
      for (const [name, value] of entry.traceHeaders ?? []) headers.set(name, value);
      const ack = await acks.publish(subject, entry.body, headers);
      return { kind: 'acked', duplicate: ack.duplicate };
    } catch (error) {
      return publishOutcome(publishError(error, subject));
    }
  }

  private async connectLoop(): Promise<void> {
    const backoff = new Backoff(
      this.options.connectBackoff.initialMs,
      this.options.connectBackoff.maxMs,
    );
    while (!this.closing) {
      try {
        const nc = await connect({
          servers: [...this.options.servers],
          name: this.options.name,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1_000,
          reconnectJitter: 500,
          noAsyncTraces: true,
          timeout: 5_000,
          ...this.options.connectionOptions,
        });
        if (this.closing) {
          await nc.close().catch(() => undefined);
          return;
        }
        this.attach(nc);
        // A connection nats.js gives up on (auth failures, say) is replaced.
        void nc.closed().then(() => {
          if (this.closing || this.nc !== nc) return;
          this.detach();
          this.listener?.problem({
            code: 'connection_closed',
            message: 'NATS closed the connection; reconnecting',
          });
          void this.connectLoop();
        });
        return;
      } catch (error) {
        this.listener?.problem({
          code: 'connect_failed',
          message: `cannot connect to ${this.options.servers.join(', ')}: ${describe(error)}`,
          attempt: backoff.attempts + 1,
        });
        await this.wake.wait(backoff.next());
      }
    }
  }

  private attach(nc: NatsConnection): void {
    this.nc = nc;
    // The connection's own reply prefix: a producer user allowed only `_INBOX_<user>.>`
    // (deploy/nats/nats.conf) gets its PubAcks there.
    const prefix = this.options.connectionOptions?.inboxPrefix;
    this.acks = new PubAckInbox(nc, this.options.ackTimeoutMs, prefix);
    this.up = !nc.isClosed();
    void this.watch(nc);
    if (this.up) this.listener?.ready();
  }

  private detach(): void {
    this.acks?.close('the NATS connection closed');
    this.acks = undefined;
    this.nc = undefined;
    this.up = false;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.up = false;
        // Their PubAcks may never come: the sink re-sends them once it is back (ids dedupe).
        this.acks?.failPending(`disconnected from ${status.server}`);
        this.listener?.problem({
          code: 'disconnected',
          message: `disconnected from ${status.server}`,
        });
      } else if (status.type === 'reconnect') {
        this.up = true;
        this.listener?.ready();
      } else if (status.type === 'close') {
        this.up = false;
      }
    }
  }
}

/**
 * The sink's outcome of a failed publish: `rejected` when it can never fit, `refused` when
 * JetStream said no for good, `retry` for everything that may pass later (no PubAck in
 * time, no stream yet, a lost connection, JetStream out of resources, a client error).
 */
export function publishOutcome(error: BusError): Outcome {
  if (isMessageTooLarge(error)) return tooLarge(error.message);
  if (error.code !== 'refused' || isTransientApiCode(error.details.apiCode))
    return { kind: 'retry', message: error.message };
  // A client-side refusal (the publish never left) may pass on a fresh connection.
  if (error.details.apiCode === undefined && error.cause !== undefined)
    return { kind: 'retry', message: error.message };
  return { kind: 'refused', message: error.message };
}
function tooLarge(message: string): Outcome {
  const errors: ValidationError[] = [{ path: '', code: 'too_large', message }];
  return { kind: 'rejected', message, errors };
}
