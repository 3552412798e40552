import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Family, FAMILIES, streamName } from '@runlog/contracts';
import { waitFor } from '@runlog/testing';
import { generate, type Generated, type Rec, Rng } from '../support/event-mutations';
import { type Answer, event, type IngestFixture, startIngest } from './ingest-fixtures';

// Robustness of POST /v1/events (DESIGN.md §2-§4): hundreds of deterministic mutations of
// the valid examples never get a 5xx, every 400 names its errors by path and code, every
// 202 is in its stream exactly once under its id; and a JetStream outage mid-request
// answers 503 with what was (not) written, and the same batch retried later lands once.

const SEED = Number(process.env.ROBUSTNESS_SEED ?? 0x5eed_2026);
const CASES = 300;

interface Stored {
  readonly stream: string;
  readonly cursor: string;
  readonly id: string;
}

interface AcceptedItem {
  index: number;
  id: string;
  stream: string | null;
  cursor: string | null;
  duplicate: boolean;
}

interface RejectedItem {
  index: number;
  id: string | null;
  errors: Array<{ path: unknown; code: unknown; message: unknown }>;
}

const isLiveOnly = (family: Family, kind: string) =>
  family === 'engine' && kind !== 'request_served';

const describeCase = (items: readonly Generated[]) =>
  items.map((g) => `${g.family}.${g.kind}: ${g.mutation}`).join(' | ');

describe('POST /v1/events under mutated input (seeded property test)', () => {
  let fx: IngestFixture;
  beforeAll(async () => {
    fx = await startIngest();
  });
  afterAll(() => fx?.close(), 30_000);

  it(`never answers 5xx; 400s name every error; 202s are stored once under their id (seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    const before = await fx.counts();
    /** Every stored event by `stream:cursor`, and the cursor of every stored id. */
    const stored = new Map<string, Stored>();
    const cursorOfId = new Map<string, string>();
    const acceptedEvents: Generated[] = [];
    /** Events accepted; posts rejected by validation, by the JSON parser; repeats sent. */
    const stats = { accepted: 0, rejected: 0, parserRejected: 0, repeats: 0 };

    /** Every broken rule, with the case that broke it: all are reported at once at the end. */
    const problems: string[] = [];
    const problem = (where: string, what: string, value?: unknown): void => {
      const shown = value === undefined ? '' : `: ${JSON.stringify(value)?.slice(0, 2000)}`;
      problems.push(`${what}${shown}  <- ${where}`);
    };

    const record = (item: AcceptedItem, generated: Generated, where: string) => {
      if (item.id !== generated.event['id']) problem(where, 'accepted id differs', item);
      if (isLiveOnly(generated.family, generated.kind)) {
        if (item.stream !== null || item.cursor !== null || item.duplicate !== false)
          problem(where, 'a live-only engine kind must answer stream and cursor null', item);
        return;
      }
      if (item.stream !== streamName(generated.family) || !/^\d+$/.test(item.cursor ?? ''))
        return problem(where, 'accepted in the wrong stream or without a cursor', item);
      const key = `${item.stream}:${item.cursor}`;
      const seen = cursorOfId.get(item.id);
      if (seen !== undefined) {
        // only a deliberate repeat hits an id twice: it answers the first cursor, duplicate
        if (!item.duplicate || key !== seen)
          problem(where, `a repeated id must answer duplicate and cursor ${seen}`, item);
        return;
      }
      if (item.duplicate) problem(where, 'a new id answered duplicate', item);
      if (stored.has(key)) problem(where, `two ids at ${key}`, [stored.get(key)!.id, item.id]);
      cursorOfId.set(item.id, key);
      stored.set(key, { stream: item.stream, cursor: item.cursor!, id: item.id });
    };

    const check = (answer: Answer, items: readonly Generated[]) => {
      const where = describeCase(items);
      if (answer.status >= 500 || ![202, 400, 413].includes(answer.status))
        return problem(where, `answered ${answer.status}`, answer.body);
      const mustAccept = items.every((g) => g.expect === 'accept');
      if (answer.status === 202) {
        stats.accepted += items.length;
        if (items.some((g) => g.expect === 'reject'))
          problem(where, 'accepted an event that must be rejected', answer.body);
        const accepted = answer.body['accepted'] as AcceptedItem[];
        if (
          !Array.isArray(accepted) ||
          accepted.map((a) => a.index).join() !== items.map((_, i) => i).join()
        )
          return problem(where, 'the 202 must list every event by index, in order', answer.body);
        accepted.forEach((item, i) => {
          record(item, items[i]!, where);
          acceptedEvents.push(items[i]!);
        });
        return;
      }
      if (mustAccept) problem(where, `rejected (${answer.status}) a valid batch`, answer.body);
      const error = answer.body['error'] as Rec | undefined;
      if (typeof error?.['code'] !== 'string' || typeof error['message'] !== 'string')
        problem(where, 'an error answer must carry error.code and error.message', answer.body);
      const rejected = answer.body['rejected'] as RejectedItem[] | undefined;
      if (rejected === undefined) {
        // a body the JSON parser refuses (prototype poisoning): no event was looked at
        stats.parserRejected++;
        if (answer.status !== 400 || !items.some((g) => g.bodyError))
          problem(where, `a ${answer.status} without rejected entries`, answer.body);
        return;
      }
      stats.rejected++;
      if (answer.status !== 400) problem(where, `rejected entries with ${answer.status}`);
      if (!['validation_failed', 'confidentiality_violation'].includes(error?.['code'] as string))
        problem(where, 'a 400 with rejected entries has an unexpected code', error);
      if (!Array.isArray(rejected) || rejected.length === 0)
        return problem(where, 'a 400 must list rejected events', answer.body);
      for (const entry of rejected) {
        const generated = items[entry.index];
        if (generated === undefined) {
          problem(where, 'rejected entry with an index outside the batch', entry);
          continue;
        }
        const sentId = generated.event['id'];
        if (entry.id !== (typeof sentId === 'string' ? sentId : null))
          problem(where, 'rejected entry names the wrong id', entry.id);
        if (!Array.isArray(entry.errors) || entry.errors.length === 0)
          problem(where, 'rejected entry without errors', entry);
        for (const e of entry.errors ?? [])
          if (typeof e.path !== 'string' || typeof e.code !== 'string' || e.code === '')
            problem(where, 'an error needs a string path and a code', e);
      }
      const rejectedIndexes = new Set(rejected.map((r) => r.index));
      items.forEach((generated, index) => {
        if (generated.expect === 'accept' && rejectedIndexes.has(index))
          problem(where, `event ${index} is valid but was rejected`, rejected);
        if (generated.expect !== 'reject' || generated.bodyError) return;
        if (!rejectedIndexes.has(index))
          return problem(where, `event ${index} is invalid but not listed`, rejected);
        const wanted = generated.error;
        const errors = rejected.find((r) => r.index === index)!.errors;
        if (
          wanted &&
          !errors.some(
            (e) =>
              (wanted.path === '' || e.path === wanted.path) &&
              (wanted.code === undefined || e.code === wanted.code),
          )
        )
          problem(where, `event ${index} lacks an error ${JSON.stringify(wanted)}`, errors);
      });
      if (
        items.some((g) => g.error?.code === 'confidentiality_violation') &&
        error?.['code'] !== 'confidentiality_violation'
      )
        problem(where, 'content in an engine event must answer confidentiality_violation', error);
    };

    let made = 0;
    while (made < CASES) {
      // now and then, send an accepted event again verbatim: same id, first cursor, duplicate
      if (acceptedEvents.length > 0 && rng.chance(0.05)) {
        const again = rng.pick(acceptedEvents);
        stats.repeats++;
        const answer = await fx.post(again.event);
        check(answer, [again]);
        continue;
      }
      const size = rng.chance(0.7) ? 1 : 2 + rng.int(4);
      const items = Array.from({ length: Math.min(size, CASES - made) }, () =>
        generate(rng, made++),
      );
      const body =
        items.length === 1 && rng.chance(0.8) ? items[0]!.event : items.map((g) => g.event);
      check(await fx.post(body), items);
    }

    expect(problems).toEqual([]);
    // the family streams grew by exactly the distinct stored events, nothing else
    const after = await fx.counts();
    const grown = Object.fromEntries(FAMILIES.map((f) => [f, after[f] - before[f]]));
    const expected = Object.fromEntries(
      FAMILIES.map((f) => [
        f,
        [...stored.values()].filter((s) => s.stream === streamName(f)).length,
      ]),
    );
    expect(grown).toEqual(expected);
    // and each stored message is the accepted id at the answered cursor
    for (const { stream, cursor, id } of stored.values()) {
      const message = await fx.jsm.streams.getMessage(stream, { seq: Number(cursor) });
      expect({ stream, cursor, msgId: message?.header.get('Nats-Msg-Id') }).toEqual({
        stream,
        cursor,
        msgId: id,
      });
      expect(message!.json<Rec>()['id']).toBe(id);
    }
    expect(stats.accepted).toBeGreaterThan(30);
    expect(stats.rejected).toBeGreaterThan(30);
    expect(stats.repeats).toBeGreaterThan(0);
  }, 120_000);
});

/** A connection to the stream counts that keeps reconnecting through an outage (the fixture's gives up). */
async function watcher(url: string): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  return { nc, jsm: await jetstreamManager(nc) };
}

async function countsOf(jsm: JetStreamManager): Promise<Record<Family, number>> {
  const entries = await Promise.all(
    FAMILIES.map(async (f) => [f, (await jsm.streams.info(streamName(f))).state.messages] as const),
  );
  return Object.fromEntries(entries) as Record<Family, number>;
}

/** POST with a longer bound than the fixture's 20 s: the publisher waits 4 × 5 s for PubAcks. */
async function postSlow(url: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Rec) : {} };
}

describe('POST /v1/events while JetStream is down', () => {
  let fx: IngestFixture;
  let watch: { nc: NatsConnection; jsm: JetStreamManager };
  beforeAll(async () => {
    fx = await startIngest();
    watch = await watcher(fx.server.url);
  });
  afterAll(async () => {
    await watch?.nc.close().catch(() => undefined);
    await fx?.close();
  }, 30_000);

  it('answers 503 naming what was not written; the same batch retried lands exactly once', async () => {
    const batch = [
      event('trace', 'op_start'),
      event('lease_history', 'acquired'),
      event('completion', 'completed'),
    ];
    const families: Family[] = ['trace', 'lease_history', 'completion'];
    const before = await countsOf(watch.jsm);

    await fx.server.kill();
    const down = await postSlow(fx.url, batch);
    expect(down.status).toBe(503);
    expect(Object.keys(down.body).sort()).toEqual(['accepted', 'error', 'failed']);
    const error = down.body['error'] as Rec;
    expect(error['code']).toBe('unavailable');
    expect(typeof error['message']).toBe('string');
    // the server was dead for the whole request: nothing could be written, all are listed
    expect(down.body['accepted']).toEqual([]);
    const failed = down.body['failed'] as Rec[];
    expect(failed.map((f) => [f['index'], f['id']])).toEqual(batch.map((e, i) => [i, e.id]));
    for (const f of failed) {
      expect(typeof f['code']).toBe('string');
      expect(typeof f['message']).toBe('string');
    }

    await fx.server.start();
    // no event to await in ingest's reconnect: poll its readiness, bounded
    await waitFor(
      'ingest ready again after the NATS restart',
      async () => {
        const response = await fetch(`${fx.url}/health/ready`, {
          signal: AbortSignal.timeout(5_000),
        });
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const retried = await postSlow(fx.url, batch);
    expect(retried.status).toBe(202);
    const items = retried.body['accepted'] as AcceptedItem[];
    // duplicate may be true: the publishes ingest buffered while NATS was down can land on reconnect
    expect(items.map((a) => [a.index, a.id, a.stream, typeof a.duplicate])).toEqual(
      batch.map((e, i) => [i, e.id, streamName(families[i]!), 'boolean']),
    );
    for (const item of items) expect(item.cursor).toMatch(/^\d+$/);
    await watch.nc.flush(); // resolves once the watcher is connected again
    const after = await countsOf(watch.jsm);
    for (const family of FAMILIES)
      expect({ family, grown: after[family] - before[family] }).toEqual({
        family,
        grown: families.includes(family) ? 1 : 0,
      });
    for (const item of items) {
      const message = await watch.jsm.streams.getMessage(item.stream!, {
        seq: Number(item.cursor),
      });
      expect(message!.header.get('Nats-Msg-Id')).toBe(item.id);
    }
  }, 90_000);
});
