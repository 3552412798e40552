import { PassThrough } from 'node:stream';
import { type TailItem } from '@runlog/bus';
import { type DeliveredEvent } from '@runlog/contracts';
import { type RunlogConfig } from '../config/runlog-config';
import { type SseFrame, type SseReply } from './sse';
import { SseRoutes, subscriptionFrames } from './sse-routes';

async function* items(...list: TailItem<'trace'>[]): AsyncGenerator<TailItem<'trace'>> {
  yield* list;
}

async function collect(frames: AsyncIterable<SseFrame>): Promise<SseFrame[]> {
  const out: SseFrame[] = [];
  for await (const frame of frames) out.push(frame);
  return out;
}

describe('subscriptionFrames', () => {
  it('frames events by cursor and kind, then caught_up, and an undecodable message with its cursor', async () => {
    const event = { cursor: '7', kind: 'op_start', id: 'e1' } as unknown as DeliveredEvent<'trace'>;
    const frames = await collect(
      subscriptionFrames(
        items(
          { type: 'event', event },
          { type: 'caught_up', cursor: '7' },
          { type: 'undecodable', cursor: '8', errors: 'not JSON' },
        ),
        (delivered) => ({ id: delivered.id }),
      ),
    );
    expect(frames).toEqual([
      { id: '7', event: 'op_start', data: '{"id":"e1"}' },
      { event: 'caught_up', data: '{"cursor":"7"}' },
      { id: '8', event: 'undecodable', data: '{"cursor":"8","errors":"not JSON"}' },
    ]);
  });
});

/** A hijackable reply over a PassThrough, closed like a socket when the stream ends. */
function reply(): SseReply & { readonly raw: PassThrough } {
  const raw = Object.assign(new PassThrough(), { writeHead: () => raw });
  raw.resume();
  return { hijack: () => undefined, raw };
}

const caller = { open: true } as const;

describe('SseRoutes', () => {
  const config = { http: { sseMax: 1, sseMaxPerKey: 1 } } as RunlogConfig;

  it('holds a slot while a stream is open, refuses one past the cap with 429, and close() ends them', async () => {
    const warnings: string[] = [];
    const routes = new SseRoutes(config, { warn: (message) => warnings.push(message) });
    let started!: () => void;
    const open = new Promise<void>((resolve) => (started = resolve));
    const serving = routes.serve(caller, reply(), 'test stream', async function* (signal) {
      started();
      yield { data: 'first' };
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    await open;
    expect(routes.size).toBe(1);
    await expect(
      routes.serve(caller, reply(), 'second', async function* () {}),
    ).rejects.toMatchObject({ code: 'too_many_requests' });
    routes.close();
    await serving;
    expect(routes.size).toBe(0);
    expect(warnings).toEqual([]); // an abort is no server-side failure
  });

  it('logs a source that fails, under the label, and frees its slot', async () => {
    const warnings: string[] = [];
    const routes = new SseRoutes(config, { warn: (message) => warnings.push(message) });
    await routes.serve(caller, reply(), 'trace stream', async function* () {
      yield* [];
      throw new Error('consumer deleted');
    });
    expect(warnings).toEqual(['trace stream ended: consumer deleted']);
    expect(routes.size).toBe(0);
  });
});
