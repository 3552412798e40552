// GET /v1/stream/{family} (D43): replay from a cursor or the end, caught_up, live, the key
// filter, Last-Event-ID, the 404/400 answers, and no ordered consumer left behind.
import { streamName } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { SseClient } from '../support/sse-client';
import { event, type IngestFixture, startIngest } from './ingest-fixtures';

let fx: IngestFixture;

beforeAll(async () => {
  fx = await startIngest();
}, 60_000);
afterAll(async () => fx?.close());

/** Posts trace events for one request id; answers their cursors in order. */
async function postTrace(requestId: string, n: number): Promise<string[]> {
  const events = Array.from({ length: n }, () =>
    event('trace', 'annotation', { request_id: requestId }),
  );
  const answer = await fx.post(events);
  expect(answer.status).toBe(202);
  return (answer.body['accepted'] as Array<{ cursor: string }>).map((a) => a.cursor);
}

describe('GET /v1/stream/{family}', () => {
  it('replays after a cursor, says caught_up, then goes live; key keeps one partition', async () => {
    const mine = uniqueName('req');
    const other = uniqueName('req');
    const cursors = await postTrace(mine, 3);
    await postTrace(other, 1);
    const stream = await SseClient.open(
      `${fx.url}/v1/stream/trace?after=${cursors[0]}&key=${encodeURIComponent(mine)}`,
    );
    try {
      const replay = await stream.frames(3);
      expect(replay.map((f) => [f.id, f.event])).toEqual([
        [cursors[1], 'annotation'],
        [cursors[2], 'annotation'],
        [undefined, 'caught_up'],
      ]);
      const body = JSON.parse(replay[0]!.data) as Record<string, unknown>;
      expect(body).toMatchObject({ cursor: cursors[1], family: 'trace', kind: 'annotation' });
      expect((body['data'] as Record<string, unknown>)['request_id']).toBe(mine);
      await postTrace(other, 1); // filtered out
      const [live] = await postTrace(mine, 1);
      const [frame] = await stream.frames(1);
      expect(frame!.id).toBe(live);
    } finally {
      stream.close();
    }
  });

  it('starts at the end without a cursor, and resumes with Last-Event-ID', async () => {
    const id = uniqueName('req');
    const old = await postTrace(id, 2);
    const tail = await SseClient.open(`${fx.url}/v1/stream/trace?key=${id}`);
    let seen: string;
    try {
      const [caughtUp] = await tail.frames(1);
      expect(caughtUp!.event).toBe('caught_up');
      expect(
        Number((JSON.parse(caughtUp!.data) as { cursor: string }).cursor),
      ).toBeGreaterThanOrEqual(Number(old[1]));
      const [live] = await postTrace(id, 1);
      const [frame] = await tail.frames(1);
      expect(frame!.id).toBe(live);
      seen = live!;
    } finally {
      tail.close();
    }
    const resumed = await SseClient.open(`${fx.url}/v1/stream/trace?after=0&key=${id}`, {
      'Last-Event-ID': old[0]!,
    });
    try {
      const frames = await resumed.frames(3);
      expect(frames.map((f) => f.id ?? f.event)).toEqual([old[1], seen, 'caught_up']);
    } finally {
      resumed.close();
    }
    await waitFor(
      'the SSE ordered consumers to go',
      async () => {
        const names: string[] = [];
        for await (const info of fx.jsm.consumers.list(streamName('trace'))) names.push(info.name);
        return names.length === 0 ? names : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  });

  it('keys pair-keyed families by <thread>.<run>, and refuses bad parameters', async () => {
    const bad = async (path: string): Promise<[number, string]> => {
      const response = await fetch(`${fx.url}${path}`);
      const body = (await response.json()) as { error: { code: string } };
      return [response.status, body.error.code];
    };
    expect(await bad('/v1/stream/nope')).toEqual([404, 'not_found']);
    expect(await bad('/v1/stream/trace?after=x')).toEqual([400, 'invalid_parameter']);
    expect(await bad('/v1/stream/canonical?key=only-one-token')).toEqual([
      400,
      'invalid_parameter',
    ]);
    expect(await bad('/v1/stream/agent')).toEqual([400, 'invalid_parameter']); // work-queue
    const ok = await SseClient.open(`${fx.url}/v1/stream/canonical?key=t1.r1`);
    try {
      const [first] = await ok.frames(1);
      expect([first!.event, first!.data]).toEqual(['caught_up', '{"cursor":"0"}']);
    } finally {
      ok.close();
    }
  });
});
