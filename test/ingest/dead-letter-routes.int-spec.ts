// The dead-letter admin routes (D44) on ingest: list with cause/reason/cursor/body, delete
// one, replay by id and all; re-driven letters land on the consumer's re-drive subject,
// and async ingress reads them again.
import { jetstream } from '@nats-io/jetstream';
import { DEADLETTER_STREAM } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { type IngestFixture, startIngest } from './ingest-fixtures';

let fx: IngestFixture;

beforeAll(async () => {
  fx = await startIngest();
}, 60_000);
afterAll(async () => fx?.close());

interface Letter {
  dead_letter_seq: string;
  family: string;
  cause: string;
  reason: string;
  original_stream: string;
  original_cursor: string;
  body: string;
}

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${fx.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

const letters = async (): Promise<Letter[]> =>
  (await call('GET', '/v1/dead-letters/ingest')).body['dead_letters'] as Letter[];

it('lists, deletes one, replays by id and all', async () => {
  const js = jetstream(fx.nc);
  const bodies = ['not json 1', 'not json 2', 'not json 3'].map((b) => `${b} ${uniqueName('x')}`);
  for (const body of bodies) await js.publish(`ingest.trace.${uniqueName('k')}`, body);
  const parked = await waitFor('three dead letters', async () => {
    const found = await letters();
    return found.length === 3 ? found : undefined;
  });
  expect(parked.map((l) => l.body)).toEqual(bodies);
  expect(parked[0]).toMatchObject({ family: 'trace', original_stream: 'RUNLOG_INGEST' });
  expect(parked[0]!.cause).toBe('decode_failed');
  expect(parked[0]!.reason).not.toBe('');
  expect(Number(parked[0]!.original_cursor)).toBeGreaterThan(0);

  const [first, second, third] = parked.map((l) => l.dead_letter_seq);
  expect((await call('DELETE', `/v1/dead-letters/ingest/${first}`)).status).toBe(204);
  expect((await call('DELETE', `/v1/dead-letters/ingest/${first}`)).status).toBe(404);
  expect((await letters()).map((l) => l.dead_letter_seq)).toEqual([second, third]);

  const byId = await call('POST', '/v1/dead-letters/ingest/replay', { ids: [second, first] });
  expect(byId).toEqual({ status: 200, body: { consumer: 'ingest', replayed: 1, ids: [second] } });
  // The replayed input goes through intake again (async ingress reads its re-drive
  // subject, D47): still not JSON, so it is parked again, as a new dead letter that keeps
  // its original cursor and body.
  const reparked = (found: Letter[]) =>
    found.filter((l) => Number(l.dead_letter_seq) > Number(third));
  const afterOne = await waitFor('the replayed letter parked again', async () => {
    const found = await letters();
    return reparked(found).length === 1 ? found : undefined;
  });
  expect(afterOne.map((l) => l.dead_letter_seq)).toContain(third);
  expect(afterOne).toHaveLength(2);
  expect(reparked(afterOne)[0]).toMatchObject({
    body: parked[1]!.body,
    original_cursor: parked[1]!.original_cursor,
    original_stream: 'RUNLOG_INGEST',
    cause: 'decode_failed',
  });
  const all = await call('POST', '/v1/dead-letters/ingest/replay', { all: true });
  expect(all.body).toEqual({ consumer: 'ingest', replayed: 2 });
  const latest = Number(reparked(afterOne)[0]!.dead_letter_seq);
  const afterAll = await waitFor('both replayed letters parked again', async () => {
    const found = await letters();
    return found.length === 2 && found.every((l) => Number(l.dead_letter_seq) > latest)
      ? found
      : undefined;
  });
  expect(afterAll.map((l) => l.body)).toEqual([parked[2]!.body, parked[1]!.body]); // replayed oldest first

  // All three re-drives went to ingest's re-drive subject, with their original bodies.
  const { state } = await fx.jsm.streams.info(DEADLETTER_STREAM, {
    subjects_filter: 'redrive.ingest.trace',
  });
  expect(state.subjects?.['redrive.ingest.trace']).toBe(3);
});

it('refuses another service consumer, bad ids and an empty replay', async () => {
  expect((await call('GET', '/v1/dead-letters/trace-store')).status).toBe(404);
  expect((await call('DELETE', '/v1/dead-letters/ingest/x')).status).toBe(400);
  expect((await call('POST', '/v1/dead-letters/ingest/replay', {})).status).toBe(400);
  expect((await call('POST', '/v1/dead-letters/ingest/replay', { ids: ['0'] })).status).toBe(400);
});
