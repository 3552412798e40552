import {
  ClosedConnectionError,
  createInbox,
  DrainingConnectionError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { BusError } from '../errors/bus-error';

/** Where a message landed: its stream and cursor; `duplicate` when its id was seen within the window. */
export interface PublishResult {
  readonly stream: string;
  readonly cursor: string;
  readonly duplicate: boolean;
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
 * JetStream publishing at the protocol level (PERF.md), the one copy of it that the bus
 * publisher and the SDK's NATS transport share: each publish is a core NATS publish with
 * a reply subject under one wildcard inbox subscription, and the PubAck is parsed here.
 * That avoids a timer, a promise chain and an Error per call in the client's
 * `js.publish()`, so many publishes can be in flight at once.
 *
 * Each publish answers once: the PubAck's stream and sequence, or a {@link BusError}:
 * `no_stream` (no stream captures the subject, 503), `refused` (JetStream answered an error;
 * its code in `apiCode`), `timeout` (no PubAck in `timeoutMs`; it may have landed, and a
 * retry with the same `Nats-Msg-Id` is safe) or `connection_closed`. Nothing retries here.
 */
export class PubAckInbox {
  private readonly inbox: string;
  private readonly subscription: Subscription;
  private readonly pending = new Map<string, Pending>();
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
    /** The connection's `inboxPrefix`, under which the PubAcks come back (default `_INBOX`). */
    inboxPrefix?: string,
  ) {
    this.inbox = createInbox(inboxPrefix);
    this.subscription = nc.subscribe(`${this.inbox}.*`, { callback: (_, msg) => this.onAck(msg) });
    this.sweeper = setInterval(() => this.expire(), Math.min(250, timeoutMs / 4));
    this.sweeper.unref();
  }

  /** Publishes once and answers its PubAck (or the {@link BusError} that stands for it). */
  publish(subject: string, body: Uint8Array | string, headers: MsgHdrs): Promise<PublishResult> {
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
        reject(publishError(error, subject));
      }
    });
  }

  /** Publishes waiting for their PubAck now. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Fails every publish still waiting with `connection_closed` and `reason` (a disconnect:
   * their PubAcks may never come, and the caller may retry them at once; ids dedupe).
   */
  failPending(reason: string): void {
    for (const [token, pending] of this.pending) {
      this.pending.delete(token);
      pending.reject(new BusError('connection_closed', reason, { subject: pending.subject }));
    }
  }

  /** Stops listening for PubAcks; publishes still waiting fail with `connection_closed`. */
  close(reason = 'the publisher was closed'): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    this.failPending(reason);
  }

  private onAck(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const pending = this.pending.get(token);
    if (!pending) return; // already timed out: the retry's own ack will answer
    this.pending.delete(token);
    const { subject } = pending;
    if (msg.headers?.code === 503) {
      pending.reject(
        new BusError('no_stream', `no JetStream stream captures ${subject}`, { subject }),
      );
      return;
    }
    let ack: PubAck;
    try {
      ack = JSON.parse(decoder.decode(msg.data)) as PubAck;
    } catch {
      pending.reject(new BusError('refused', `unreadable PubAck for ${subject}`, { subject }));
      return;
    }
    if (ack.error || ack.stream === undefined || ack.seq === undefined) {
      const description = ack.error?.description ?? 'no stream or sequence in the PubAck';
      pending.reject(
        new BusError('refused', `JetStream refused ${subject}: ${description}`, {
          subject,
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
      const { subject } = pending;
      pending.reject(
        new BusError('timeout', `no PubAck for ${subject} in ${this.timeoutMs} ms`, { subject }),
      );
    }
  }
}

/** A publish the client refused to send (closed connection, payload over `max_payload`). */
export function publishError(error: unknown, subject: string): BusError {
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
