import { BufferedSink } from '../core/buffered-sink';
import { type SinkOptions } from '../types';
import { HttpTransport } from './http-transport';

export interface HttpEventSinkOptions extends SinkOptions {
  /** ingest's base URL, e.g. `http://127.0.0.1:4100` (events go to `<url>/v1/events`). */
  readonly url: string;
  /** Sent as `Authorization: Bearer <apiKey>` (ingest's `RUNLOG_API_KEYS`). */
  readonly apiKey?: string;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How long one request may take before it is retried (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** The fetch implementation (default: Node's global `fetch`). */
  readonly fetch?: typeof fetch;
}

/**
 * An {@link EventSink} over ingest's `POST /v1/events`: the same buffer, batching, backoff
 * and gap events as {@link NatsEventSink}, for producers that cannot reach NATS. Events
 * ingest rejects as invalid are reported and dropped, never retried; everything else that
 * fails is retried while ingest is away (ids dedupe, so a retry never writes twice).
 */
export class HttpEventSink extends BufferedSink {
  constructor(options: HttpEventSinkOptions) {
    super(
      new HttpTransport({
        url: options.url,
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        ...(options.headers ? { headers: options.headers } : {}),
        requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
        fetch: options.fetch ?? fetch,
      }),
      options,
      { batchSize: 500, maxBatchSize: 1000 },
    );
  }
}
