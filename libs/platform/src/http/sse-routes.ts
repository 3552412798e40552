import { type DeliveredEvent, type Family } from '@runlog/contracts';
import { type TailItem } from '@runlog/bus';
import { type RunlogConfig } from '../config/runlog-config';
import { type Caller, callerName } from './auth';
import { serveSse, type SseFrame, type SseReply } from './sse';
import { SseLimiter } from './sse-limiter';

/** What a stream route's logger needs: the reason a stream ended on the server's side. */
export interface SseRouteLogger {
  warn(message: string): void;
}

/**
 * The bookkeeping every Server-Sent Events route of a service shares: the caps
 * (`RUNLOG_SSE_MAX`, `RUNLOG_SSE_MAX_PER_KEY`, one slot per stream, 429 past them), the
 * set of open streams, and ending them all at shutdown so the HTTP server can close.
 * A controller holds one, serves through {@link serve}, and calls {@link close} from
 * `onModuleDestroy`.
 */
export class SseRoutes {
  private readonly open = new Set<AbortController>();
  private readonly limiter: SseLimiter;

  constructor(
    config: RunlogConfig,
    private readonly logger: SseRouteLogger,
  ) {
    this.limiter = new SseLimiter(config.http.sseMax, config.http.sseMaxPerKey);
  }

  /**
   * Serves one stream for `caller` (`callerOf(request)`): takes a slot (or throws the 429 before
   * anything is written), writes every frame, and frees the slot when the stream ends.
   * `label` names the stream in the log line of a server-side end.
   */
  async serve(
    caller: Caller,
    reply: SseReply,
    label: string,
    frames: (signal: AbortSignal) => AsyncIterable<SseFrame>,
  ): Promise<void> {
    const slot = this.limiter.acquire(callerName(caller));
    try {
      await serveSse(reply, frames, {
        open: this.open,
        onError: (message) => this.logger.warn(`${label} ended: ${message}`),
      });
    } finally {
      slot.release();
    }
  }

  /** Streams open now. */
  get size(): number {
    return this.limiter.open;
  }

  /** Ends every open stream (at shutdown). */
  close(): void {
    for (const abort of this.open) abort.abort();
  }
}

/**
 * The frames of a bus subscription (DESIGN.md §4 SSE): each event as `id: <cursor>`,
 * `event: <kind>`, `data: <data(event)>`; one `caught_up` with the cursor where the replay
 * ended; and `undecodable` for a stored message that no longer decodes, with its cursor as
 * the id, so the client sees it and resumes past it (never skipped in silence).
 */
export async function* subscriptionFrames<F extends Family>(
  items: AsyncIterable<TailItem<F>>,
  data: (event: DeliveredEvent<F>) => unknown,
): AsyncGenerator<SseFrame> {
  for await (const item of items) {
    if (item.type === 'event') {
      const { event } = item;
      yield { id: event.cursor, event: event.kind, data: JSON.stringify(data(event)) };
    } else if (item.type === 'caught_up') {
      yield { event: 'caught_up', data: JSON.stringify({ cursor: item.cursor }) };
    } else {
      const body = JSON.stringify({ cursor: item.cursor, errors: item.errors });
      yield { id: item.cursor, event: 'undecodable', data: body };
    }
  }
}
