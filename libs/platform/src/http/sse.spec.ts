import { PassThrough } from 'node:stream';
import { sseFrame, SseWriter } from './sse';

describe('SSE frames', () => {
  it('writes id, event and one data line per line of data', () => {
    expect(sseFrame({ id: '42', event: 'renewed', data: '{"a":1}' })).toBe(
      'id: 42\nevent: renewed\ndata: {"a":1}\n\n',
    );
    expect(sseFrame({ data: 'one\ntwo\r\nthree' })).toBe('data: one\ndata: two\ndata: three\n\n');
  });
});

describe('SseWriter', () => {
  afterEach(() => jest.useRealTimers());

  it('sends a heartbeat comment every interval until it ends', () => {
    jest.useFakeTimers();
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const writer = new SseWriter(out, 15_000, new AbortController().signal);
    jest.advanceTimersByTime(14_999);
    expect(chunks).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(chunks).toEqual([': heartbeat\n\n']);
    jest.advanceTimersByTime(15_000);
    expect(chunks).toHaveLength(2);
    writer.end();
    jest.advanceTimersByTime(60_000);
    expect(chunks).toHaveLength(2);
    expect(out.writableEnded).toBe(true);
  });

  it('waits for the client to drain before the next frame, and stops waiting when aborted', async () => {
    const out = new PassThrough({ highWaterMark: 8 });
    const abort = new AbortController();
    const writer = new SseWriter(out, 60_000, abort.signal);
    let sent = false;
    const sending = writer.send({ data: 'more than eight bytes' }).then(() => (sent = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toBe(false); // nobody reads: backpressure
    abort.abort();
    await sending;
    expect(sent).toBe(true);
    writer.end();
  });
});
