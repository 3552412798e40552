import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import {
  encodeBytes,
  eventSubject,
  eventType,
  HEADERS,
  type RunlogEvent,
  traceContextHeaders,
} from '@runlog/contracts';
import { type BusError } from '../errors/bus-error';
import { type BusMetrics, NOOP_BUS_METRICS } from '../metrics/bus-metrics';
import { PubAckInbox, publishError, type PublishResult } from './pub-acks';

export type { PublishResult } from './pub-acks';

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

/**
 * Publishes events to JetStream through a {@link PubAckInbox} (protocol-level publishes,
 * PERF.md): typed events to their family subjects with `Nats-Msg-Id` = event id, retries of
 * timeouts and missing streams, metrics, and `publishMany` pipelining a bounded window.
 */
export class Publisher {
  private readonly acks: PubAckInbox;
  private readonly window: number;
  private readonly retries: number;
  private readonly metrics: BusMetrics;

  constructor(
    private readonly nc: NatsConnection,
    options: PublisherOptions = {},
  ) {
    this.window = options.window ?? 512;
    this.retries = options.retries ?? 3;
    this.metrics = options.metrics ?? NOOP_BUS_METRICS;
    this.acks = new PubAckInbox(nc, options.timeoutMs ?? 5_000, options.inboxPrefix);
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
          results[at] = { ok: false, error: publishError(error, eventSubject(event)) };
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
        const ack = await this.acks.publish(subject, body, headers);
        if (ack.duplicate) this.metrics.duplicates(ack.stream, 1);
        else this.metrics.published(ack.stream, 1);
        return ack;
      } catch (error) {
        const busError = publishError(error, subject);
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
    this.acks.close();
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
}
