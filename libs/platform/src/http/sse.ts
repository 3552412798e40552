import { once } from 'node:events';
import { type Writable } from 'node:stream';

/** One Server-Sent Events frame (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/** The wire text of a frame: every line of `data` on its own `data:` line. */
export function sseFrame(frame: SseFrame): string {
  const lines: string[] = [];
  if (frame.id !== undefined) lines.push(`id: ${frame.id}`);
  if (frame.event !== undefined) lines.push(`event: ${frame.event}`);
  for (const line of frame.data.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * Writes SSE frames to a response with backpressure (a slow client slows the replay
 * instead of filling memory) and a comment line every `heartbeatMs`, which keeps proxies
 * from closing an idle stream and lets the client notice a dead one.
 */
export class SseWriter {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly out: Writable,
    heartbeatMs: number,
    private readonly signal: AbortSignal,
  ) {
    this.heartbeat = setInterval(() => {
      if (!this.out.writableEnded) this.out.write(': heartbeat\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** Writes a frame; resolves once the client can take more (or the stream is aborted). */
  async send(frame: SseFrame): Promise<void> {
    if (this.out.writableEnded || this.signal.aborted) return;
    if (this.out.write(sseFrame(frame))) return;
    await once(this.out, 'drain', { signal: this.signal }).catch(() => undefined);
  }

  /** Stops the heartbeat and ends the response. */
  end(): void {
    clearInterval(this.heartbeat);
    if (!this.out.writableEnded) this.out.end();
  }
}

/** A comment line this often keeps idle streams open through proxies (issue 6: 15 s). */
export const SSE_HEARTBEAT_MS = 15_000;

/** Where {@link serveSse} writes: the raw Node response of a hijacked Fastify reply. */
export interface SseReply {
  hijack(): void;
  readonly raw: Writable & {
    once(event: 'close', listener: () => void): unknown;
    writeHead(status: number, headers: Record<string, string>): unknown;
  };
}

export interface ServeSseOptions {
  /** Aborted streams are registered here while open (so a module can end them at shutdown). */
  readonly open: Set<AbortController>;
  /** Heartbeat interval (default {@link SSE_HEARTBEAT_MS}). */
  readonly heartbeatMs?: number;
  /** Called with the reason when the stream ends on an error the client did not cause. */
  readonly onError?: (message: string) => void;
}

/**
 * Serves one Server-Sent Events stream: hijacks the reply, writes the head, sends every
 * frame `frames` yields (with backpressure), ends on client close or shutdown, and sends a
 * last `error` frame when the source fails. The shared shape of the lease stream
 * (`/v1/lease-history/stream`) and the family tail (`/v1/stream/{family}`).
 */
export async function serveSse(
  reply: SseReply,
  frames: (signal: AbortSignal) => AsyncIterable<SseFrame>,
  options: ServeSseOptions,
): Promise<void> {
  const abort = new AbortController();
  options.open.add(abort);
  reply.hijack();
  reply.raw.once('close', () => abort.abort()); // the client went away (or we ended)
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const sse = new SseWriter(reply.raw, options.heartbeatMs ?? SSE_HEARTBEAT_MS, abort.signal);
  try {
    for await (const frame of frames(abort.signal)) await sse.send(frame);
  } catch (error) {
    if (!abort.signal.aborted) {
      const message = error instanceof Error ? error.message : String(error);
      options.onError?.(message);
      await sse.send({ event: 'error', data: JSON.stringify({ message }) });
    }
  } finally {
    options.open.delete(abort);
    sse.end();
  }
}
