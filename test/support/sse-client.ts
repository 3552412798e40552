import { type EventSourceMessage, EventSourceParserStream } from 'eventsource-parser/stream';

/** One Server-Sent Events frame as the tests read it. */
export interface SseTestFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/**
 * The tests' SSE reader over fetch (no EventSource needed, any header can be sent), parsed
 * by eventsource-parser by the spec's rules; heartbeat comments never show up as frames.
 */
export class SseClient {
  private constructor(
    private readonly reader: ReadableStreamDefaultReader<EventSourceMessage>,
    private readonly abort: AbortController,
  ) {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const messages = response
      .body!.pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream());
    return new SseClient(messages.getReader(), abort);
  }

  /** The next `n` frames, waiting for them as they arrive. */
  async frames(n: number): Promise<SseTestFrame[]> {
    const frames: SseTestFrame[] = [];
    while (frames.length < n) {
      const { value, done } = await this.reader.read();
      if (done) throw new Error(`stream ended after ${frames.length} of ${n} frames`);
      frames.push({
        ...(value.id === undefined ? {} : { id: value.id }),
        ...(value.event === undefined ? {} : { event: value.event }),
        data: value.data,
      });
    }
    return frames;
  }

  close(): void {
    this.abort.abort();
  }
}
