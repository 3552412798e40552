import {
  ClosedConnectionError,
  createInbox,
  DrainingConnectionError,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  encodeBytes,
  eventSubject,
  eventType,
  HEADERS,
  type RunlogEvent,
  traceContextHeaders,
} from '@runlog/contracts';
import { BusError } from '../errors/bus-error';
import { type BusMetrics, NOOP_BUS_METRICS } from '../metrics/bus-metrics';

/** Where an event landed: its family stream and cursor; `duplicate` when its id was seen within the window. */
export interface PublishResult {
  readonly stream: string;
  readonly cursor: string;
  readonly duplicate: boolean;
}

/** One result of {@link Publisher.publishMany}, in input order. */
export type PublishManyResult =
  | { readonly ok: true; readonly value: PublishResult }
  | { readonly ok: false; readonly error: BusError };

export interface PublisherOptions {
  /** How long to wait for each PubAck (default 5 s). */
  readonly timeoutMs?: number;
  /** Publishes in flight at once in `publishMany` (default 512). */
  readonly window?: number;
  /** Retries of a timeout or missing stream, with backoff (default 3). Safe: the msgID dedupes. */
  readonly retries?: number;
  readonly metrics?: BusMetrics;
  /** The connection's `inboxPrefix`, under which the PubAcks come back (default `_INBOX`). */
  readonly inboxPrefix?: string;
}

interface Pending {
  readonly resolve: (ack: PublishResult) => void;
  readonly reject: (error: BusError) => void;
  readonly deadline: number;
  readonly subject: string;
}

interface PubAck {
  readonly stream?: string;
  readonly seq?: number;
  readonly duplicate?: boolean;
  readonly error?: {
    readonly code?: number;
    readonly err_code?: number;
    readonly description?: string;
  };
}

const decoder = new TextDecoder();

/**
 * Publishes to JetStream at the protocol level (PERF.md): each publish is a core NATS
 * publish with a reply subject under one wildcard inbox subscription, and the PubAck is
 * parsed here. That avoids a timer, a promise chain and an Error per call in the client's
 * `js.publish()` and lets `publishMany` pipeline a bounded window of publishes.
 */
export class Publisher {
  private readonly inbox: string;
  private readonly subscription: Subscription;
  private readonly pending = new Map<string, Pending>();
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;
  private readonly timeoutMs: number;
  private readonly window: number;
  private readonly retries: number;
  private readonly metrics: BusMetrics;

  constructor(
    private readonly nc: NatsConnection,
    options: PublisherOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.window = options.window ?? 512;
    this.retries = options.retries ?? 3;
    this.metrics = options.metrics ?? NOOP_BUS_METRICS;
    this.inbox = createInbox(options.inboxPrefix);
    this.subscription = nc.subscribe(`${this.inbox}.*`, { callback: (_, msg) => this.onAck(msg) });
    this.sweeper = setInterval(() => this.expire(), Math.min(250, this.timeoutMs / 4));
    this.sweeper.unref();
  }

  /** The largest message (body + headers) the server takes: its `max_payload` (1 MiB until it has said). */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  /** Publishes one typed event to its family subject with `Nats-Msg-Id` = event id. */
  publish(event: RunlogEvent): Promise<PublishResult> {
    const { subject, body, headers } = this.prepare(event);
    return this.publishRaw(subject, body, headers);
  }

  /**
   * Publishes events with at most `window` in flight and answers one result per event, in
   * input order. A failed event does not stop the others; retry the failed ones (ids dedupe).
   */
  async publishMany(events: readonly RunlogEvent[]): Promise<PublishManyResult[]> {
    const results = new Array<PublishManyResult>(events.length);
    let index = 0;
    const lane = async (): Promise<void> => {
      while (index < events.length) {
        const at = index++;
        const event = events[at] as RunlogEvent;
        try {
          results[at] = { ok: true, value: await this.publish(event) };
        } catch (error) {
          results[at] = { ok: false, error: toBusError(error, eventSubject(event)) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.window, events.length) }, lane));
    return results;
  }

  /**
   * Publishes bytes with headers to a subject a stream captures, retrying timeouts and
   * missing streams. Used for events and for dead letters.
   */
  async publishRaw(subject: string, body: Uint8Array, headers: MsgHdrs): Promise<PublishResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await this.publishOnce(subject, body, headers);
        if (ack.duplicate) this.metrics.duplicates(ack.stream, 1);
        else this.metrics.published(ack.stream, 1);
        return ack;
      } catch (error) {
        const busError = toBusError(error, subject);
        if (!busError.retryable || attempt >= this.retries) {
          this.metrics.publishFailed(subject.split('.', 2).join('.'), busError.code);
          throw busError;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  /** Stops listening for acks; publishes still pending fail with `connection_closed`. */
  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    for (const [token, pending] of this.pending) {
      this.pending.delete(token);
      pending.reject(
        new BusError('connection_closed', 'the publisher was closed', { subject: pending.subject }),
      );
    }
  }

  private prepare(event: RunlogEvent): { subject: string; body: Uint8Array; headers: MsgHdrs } {
    const headers = natsHeaders();
    headers.set(HEADERS.msgId, event.id);
    headers.set(HEADERS.type, eventType(event.family, event.kind));
    headers.set(HEADERS.source, event.source);
    headers.set(HEADERS.id, event.id);
    // The Distributed Tracing extension also travels as headers (DESIGN.md §2).
    for (const [name, value] of traceContextHeaders(event.extensions)) headers.set(name, value);
    return {
      subject: eventSubject(event),
      body: encodeBytes(event),
      headers,
    };
  }

  private publishOnce(subject: string, body: Uint8Array, headers: MsgHdrs): Promise<PublishResult> {
    if (this.nc.isClosed() || this.nc.isDraining()) {
      return Promise.reject(
        new BusError('connection_closed', 'the NATS connection is closed', { subject }),
      );
    }
    const token = (this.next++).toString(36);
    return new Promise<PublishResult>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, deadline: Date.now() + this.timeoutMs, subject });
      try {
        this.nc.publish(subject, body, { reply: `${this.inbox}.${token}`, headers });
      } catch (error) {
        this.pending.delete(token);
        reject(toBusError(error, subject));
      }
    });
  }

  private onAck(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const pending = this.pending.get(token);
    if (!pending) return; // already timed out: the retry's own ack will answer
    this.pending.delete(token);
    if (msg.headers?.code === 503) {
      pending.reject(
        new BusError('no_stream', `no JetStream stream captures ${pending.subject}`, {
          subject: pending.subject,
        }),
      );
      return;
    }
    let ack: PubAck;
    try {
      ack = JSON.parse(decoder.decode(msg.data)) as PubAck;
    } catch {
      pending.reject(
        new BusError('refused', `unreadable PubAck for ${pending.subject}`, {
          subject: pending.subject,
        }),
      );
      return;
    }
    if (ack.error || ack.stream === undefined || ack.seq === undefined) {
      const description = ack.error?.description ?? 'no stream or sequence in the PubAck';
      pending.reject(
        new BusError('refused', `JetStream refused ${pending.subject}: ${description}`, {
          subject: pending.subject,
          ...(ack.error?.err_code === undefined ? {} : { apiCode: ack.error.err_code }),
        }),
      );
      return;
    }
    pending.resolve({
      stream: ack.stream,
      cursor: String(ack.seq),
      duplicate: ack.duplicate === true,
    });
  }

  private expire(): void {
    const now = Date.now();
    for (const [token, pending] of this.pending) {
      if (pending.deadline > now) break; // deadlines grow in insertion order
      this.pending.delete(token);
      pending.reject(
        new BusError('timeout', `no PubAck for ${pending.subject} in ${this.timeoutMs} ms`, {
          subject: pending.subject,
        }),
      );
    }
  }
}

function toBusError(error: unknown, subject: string): BusError {
  if (error instanceof BusError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const closed = error instanceof ClosedConnectionError || error instanceof DrainingConnectionError;
  return new BusError(
    closed ? 'connection_closed' : 'refused',
    `publish to ${subject} failed: ${message}`,
    { subject },
    { cause: error },
  );
}
