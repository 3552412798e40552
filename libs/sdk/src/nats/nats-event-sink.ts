import { type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { BufferedSink } from '../core/buffered-sink';
import { type SinkOptions } from '../types';
import { NatsTransport, type NatsSinkMode } from './nats-transport';

export interface NatsEventSinkOptions extends SinkOptions {
  /** NATS servers (default `nats://127.0.0.1:4222`); ignored with `connection`. */
  readonly servers?: string | readonly string[];
  /**
   * Credentials, TLS and other nats.js connection options for the connection the sink
   * opens. With runlog's NATS permissions set `inboxPrefix: '_INBOX_<user>'`: a producer
   * user may subscribe to its own replies only.
   */
  readonly connectionOptions?: Omit<ConnectionOptions, 'servers'>;
  /** A connection to publish on instead; the sink never closes it. */
  readonly connection?: NatsConnection;
  /**
   * `ingest` (default): publish to `ingest.<family>.<key>`, where ingest validates and
   * routes the events (DESIGN.md §4, async ingress). `direct`: publish to the family
   * subject `events.<family>.<key>` (engine lifecycle kinds to `live.engine.<model>`),
   * for trusted producers that may write the family streams.
   */
  readonly mode?: NatsSinkMode;
  /** How long to wait for each PubAck before the send is retried (default 5 s). */
  readonly ackTimeoutMs?: number;
}

/**
 * An {@link EventSink} on NATS JetStream: batches of pipelined publishes with `msgID` =
 * event id (so a retry dedupes), a bounded buffer, retry with backoff while NATS is away.
 * Constructing it never blocks or fails when NATS is unreachable: it connects in the
 * background and keeps trying.
 */
export class NatsEventSink extends BufferedSink {
  constructor(options: NatsEventSinkOptions = {}) {
    const servers = options.servers ?? 'nats://127.0.0.1:4222';
    super(
      new NatsTransport({
        servers: typeof servers === 'string' ? servers.split(',') : [...servers],
        ...(options.connection ? { connection: options.connection } : {}),
        ...(options.connectionOptions ? { connectionOptions: options.connectionOptions } : {}),
        name: options.name ?? 'runlog-sdk',
        mode: options.mode ?? 'ingest',
        ackTimeoutMs: options.ackTimeoutMs ?? 5_000,
        connectBackoff: {
          initialMs: options.backoff?.initialMs ?? 100,
          maxMs: options.backoff?.maxMs ?? 5_000,
        },
      }),
      options,
      { batchSize: 256 },
    );
  }
}
