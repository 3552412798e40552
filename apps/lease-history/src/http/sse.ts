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
