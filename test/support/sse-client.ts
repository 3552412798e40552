/** A minimal SSE reader over fetch (the test's own client, no EventSource needed). */
export class SseClient {
  private buffer = '';
  private constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly abort: AbortController,
  ) {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    return new SseClient(response.body!.getReader(), abort);
  }

  /** The next `n` frames (heartbeat comments skipped), waiting for them as they arrive. */
  async frames(n: number): Promise<Array<{ id?: string; event?: string; data: string }>> {
    const frames: Array<{ id?: string; event?: string; data: string }> = [];
    const decoder = new TextDecoder();
    while (frames.length < n) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) {
        const { value, done } = await this.reader.read();
        if (done) throw new Error(`stream ended after ${frames.length} of ${n} frames`);
        this.buffer += decoder.decode(value, { stream: true });
        continue;
      }
      const text = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (text.startsWith(':')) continue;
      const frame: { id?: string; event?: string; data: string } = { data: '' };
      for (const line of text.split('\n')) {
        const [field, ...rest] = line.split(': ');
        const value = rest.join(': ');
        if (field === 'id') frame.id = value;
        else if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data += value;
      }
      frames.push(frame);
    }
    return frames;
  }

  close(): void {
    this.abort.abort();
  }
}
