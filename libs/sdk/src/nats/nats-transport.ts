import {
  connect,
  type ConnectionOptions,
  createInbox,
  headers as natsHeaders,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
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

interface Pending {
  readonly resolve: (outcome: Outcome) => void;
  readonly deadline: number;
}

interface PubAck {
  readonly stream?: string;
  readonly seq?: number;
  readonly duplicate?: boolean;
  readonly error?: { readonly err_code?: number; readonly description?: string };
}

/** JetStream errors that pass: insufficient resources / storage. */
const TRANSIENT_API_CODES = new Set([10023, 10047]);
/** The message is larger than the stream allows: it never fits. */
const TOO_LARGE_API_CODE = 10054;
const HEADROOM_BYTES = 4 * 1024;
const decoder = new TextDecoder();

/**
 * Publishes to JetStream at the protocol level (as the bus publisher does, PERF.md): one
 * wildcard inbox subscription, a core publish per event with a reply token and
 * `Nats-Msg-Id` = event id, PubAcks parsed here, a whole batch in flight at once.
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
  private inbox = '';
  private subscription: Subscription | undefined;
  private readonly pending = new Map<string, Pending>();
  private sweeper: NodeJS.Timeout | undefined;
  private next = 0;
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
    const nc = this.nc;
    if (!nc || !this.ready)
      return Promise.resolve(
        batch.map(() => ({ kind: 'retry', message: 'not connected to NATS' })),
      );
    return Promise.all(batch.map((entry) => this.publish(nc, entry)));
  }

  async close(): Promise<void> {
    this.closing = true;
    // A connect attempt under way closes what it gets (see connectLoop); not waited for.
    this.wake.notify();
    clearInterval(this.sweeper);
    this.failPending('the sink is closing');
    const nc = this.nc;
    if (!nc || this.options.connection) {
      this.subscription?.unsubscribe();
      return;
    }
    // Our own connection: flush what is written, bounded (NATS may be unreachable).
    await Promise.race([
      nc.drain().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  }

  private publish(nc: NatsConnection, entry: Entry): Promise<Outcome> {
    const live =
      this.options.mode === 'direct' &&
      entry.family === 'engine' &&
      entry.kind !== 'request_served';
    try {
      if (live) {
        // Lifecycle kinds are never stored (DESIGN.md §3): core NATS, at most once.
        nc.publish(liveEngineSubject(entry.key as string), entry.body);
        return Promise.resolve({ kind: 'acked', duplicate: false });
      }
      const subject =
        this.options.mode === 'ingest'
          ? ingestSubject(entry.family, entry.key)
          : familySubject(entry.family, entry.key);
      const headers = natsHeaders();
      headers.set(HEADERS.msgId, entry.id);
      headers.set(HEADERS.type, entry.type);
      headers.set(HEADERS.source, entry.source);
      headers.set(HEADERS.id, entry.id);
      for (const [name, value] of entry.traceHeaders ?? []) headers.set(name, value);
      const token = (this.next++).toString(36);
      return new Promise<Outcome>((resolve) => {
        this.pending.set(token, { resolve, deadline: Date.now() + this.options.ackTimeoutMs });
        try {
          nc.publish(subject, entry.body, { reply: `${this.inbox}.${token}`, headers });
        } catch (error) {
          this.pending.delete(token);
          resolve(publishError(error));
        }
      });
    } catch (error) {
      return Promise.resolve(publishError(error));
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
    this.inbox = createInbox(this.options.connectionOptions?.inboxPrefix);
    this.subscription = nc.subscribe(`${this.inbox}.*`, { callback: (_, msg) => this.onAck(msg) });
    this.sweeper = setInterval(() => this.expire(), Math.min(250, this.options.ackTimeoutMs / 4));
    this.sweeper.unref();
    this.up = !nc.isClosed();
    void this.watch(nc);
    if (this.up) this.listener?.ready();
  }

  private detach(): void {
    clearInterval(this.sweeper);
    this.failPending('the NATS connection closed');
    this.nc = undefined;
    this.up = false;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.up = false;
        this.failPending(`disconnected from ${status.server}`);
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

  private onAck(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const pending = this.pending.get(token);
    if (!pending) return; // timed out already: the retry's own ack answers
    this.pending.delete(token);
    if (msg.headers?.code === 503) {
      pending.resolve({ kind: 'retry', message: 'no JetStream stream takes the subject (503)' });
      return;
    }
    let ack: PubAck;
    try {
      ack = JSON.parse(decoder.decode(msg.data)) as PubAck;
    } catch {
      pending.resolve({ kind: 'refused', message: 'unreadable PubAck' });
      return;
    }
    if (ack.error || ack.stream === undefined || ack.seq === undefined) {
      const code = ack.error?.err_code;
      const message = `JetStream refused it: ${ack.error?.description ?? 'no stream or sequence in the PubAck'}`;
      if (code === TOO_LARGE_API_CODE) pending.resolve(tooLarge(message));
      else if (code !== undefined && TRANSIENT_API_CODES.has(code))
        pending.resolve({ kind: 'retry', message });
      else pending.resolve({ kind: 'refused', message });
      return;
    }
    pending.resolve({ kind: 'acked', duplicate: ack.duplicate === true });
  }

  private expire(): void {
    const now = Date.now();
    for (const [token, pending] of this.pending) {
      if (pending.deadline > now) break; // deadlines grow in insertion order
      this.pending.delete(token);
      pending.resolve({ kind: 'retry', message: `no PubAck in ${this.options.ackTimeoutMs} ms` });
    }
  }

  private failPending(message: string): void {
    for (const [token, pending] of this.pending) {
      this.pending.delete(token);
      pending.resolve({ kind: 'retry', message });
    }
  }
}

function publishError(error: unknown): Outcome {
  const message = describe(error);
  return /max_payload/i.test(message)
    ? tooLarge(`too large for NATS: ${message}`)
    : { kind: 'retry', message: `publish failed: ${message}` };
}

function tooLarge(message: string): Outcome {
  const errors: ValidationError[] = [{ path: '', code: 'too_large', message }];
  return { kind: 'rejected', message, errors };
}
