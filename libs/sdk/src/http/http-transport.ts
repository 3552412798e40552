import { type ValidationError } from '@runlog/contracts';
import { type Entry } from '../core/entry';
import { type Outcome, type Transport, type TransportListener } from '../core/transport';

export interface HttpTransportOptions {
  /** ingest's base URL, e.g. `http://127.0.0.1:4100`. */
  readonly url: string;
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly requestTimeoutMs: number;
  readonly fetch: typeof fetch;
}

interface Answer {
  readonly accepted?: readonly { readonly index?: number; readonly duplicate?: boolean }[];
  readonly rejected?: readonly { readonly index?: number; readonly errors?: ValidationError[] }[];
  readonly failed?: readonly { readonly index?: number; readonly message?: string }[];
  readonly error?: {
    readonly code?: string;
    readonly message?: string;
    readonly details?: readonly { readonly index?: number }[];
  };
}

/**
 * Sends batches to ingest's `POST /v1/events` (DESIGN.md §4) as
 * `application/cloudevents-batch+json`, and reads each answer per event:
 * 202 acknowledges all; 400 names the invalid ones (dropped, the rest sent again at once);
 * 403 names the events of forbidden families (dropped likewise); 413 splits the batch;
 * 503 acknowledges what was written and retries the rest; a network error, a timeout,
 * 401, 429 and other answers retry the whole batch with backoff.
 */
export class HttpTransport implements Transport {
  private readonly endpoint: string;
  private readonly aborter = new AbortController();
  private healthy = true;

  constructor(private readonly options: HttpTransportOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/v1/events`;
  }

  /** HTTP has no connection to watch: the last request tells. */
  get ready(): boolean {
    return true;
  }

  get connected(): boolean {
    return this.healthy;
  }

  maxEventBytes(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  start(_listener: TransportListener): void {}

  async send(batch: readonly Entry[]): Promise<Outcome[]> {
    const outcomes = await this.post(batch);
    this.healthy = outcomes.some((outcome) => outcome.kind !== 'retry');
    return outcomes;
  }

  async close(): Promise<void> {
    this.aborter.abort(new Error('the sink is closing'));
  }

  private async post(batch: readonly Entry[]): Promise<Outcome[]> {
    let response: Response;
    let answer: Answer = {};
    try {
      response = await this.options.fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents-batch+json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          ...this.options.headers,
        },
        body: `[${batch.map((entry) => entry.body).join(',')}]`,
        signal: AbortSignal.any([
          this.aborter.signal,
          AbortSignal.timeout(this.options.requestTimeoutMs),
        ]),
      });
      const text = await response.text();
      if (text) answer = JSON.parse(text) as Answer;
    } catch (error) {
      return all(batch, {
        kind: 'retry',
        message: `POST ${this.endpoint} failed: ${describe(error)}`,
      });
    }
    const status = response.status;
    const what = `POST ${this.endpoint} answered ${status}${answer.error?.code ? ` ${answer.error.code}` : ''}: ${answer.error?.message ?? response.statusText}`;
    const accepted = listOf(answer.accepted);
    if (status === 202 || status === 200) {
      const duplicates = new Set(
        (accepted ?? []).filter((a) => a.duplicate === true).map((a) => a.index),
      );
      return batch.map((_entry, index) => ({ kind: 'acked', duplicate: duplicates.has(index) }));
    }
    const rejectedList = listOf(answer.rejected);
    if (status === 400 && rejectedList) {
      const rejected = new Map(rejectedList.map((r) => [r.index, r.errors ?? []]));
      return batch.map((_entry, index): Outcome => {
        const errors = rejected.get(index);
        return errors ? { kind: 'rejected', message: what, errors } : { kind: 'again' };
      });
    }
    const details = listOf(answer.error?.details);
    if (status === 403 && details) {
      const forbidden = new Set(details.map((d) => d.index));
      return batch.map((_entry, index): Outcome =>
        forbidden.has(index) ? { kind: 'rejected', message: what, errors: [] } : { kind: 'again' },
      );
    }
    if (status === 413) {
      // Too many events or bytes for this ingest: halve until one event alone is too large.
      if (batch.length === 1)
        return [
          {
            kind: 'rejected',
            message: what,
            errors: [{ path: '', code: 'too_large', message: what }],
          },
        ];
      const half = Math.ceil(batch.length / 2);
      const first = await this.post(batch.slice(0, half));
      if (first.some((outcome) => outcome.kind === 'retry'))
        return [...first, ...all(batch.slice(half), { kind: 'again' })];
      return [...first, ...(await this.post(batch.slice(half)))];
    }
    if (status === 503 && accepted) {
      const written = new Map(accepted.map((a) => [a.index, a.duplicate === true]));
      return batch.map((_entry, index): Outcome => {
        const duplicate = written.get(index);
        return duplicate === undefined
          ? { kind: 'retry', message: what }
          : { kind: 'acked', duplicate };
      });
    }
    if (status === 400 || status === 415)
      // The request itself is wrong (not an event's fault): it would fail forever.
      return all(batch, { kind: 'rejected', message: what, errors: [] });
    return all(batch, { kind: 'retry', message: what });
  }
}

/** The array a JSON answer should hold there, or undefined when it holds something else. */
function listOf<T>(value: readonly T[] | undefined): readonly T[] | undefined {
  return Array.isArray(value) ? (value as readonly T[]) : undefined;
}

function all(batch: readonly Entry[], outcome: Outcome): Outcome[] {
  return batch.map(() => outcome);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
