import { ALL_KINDS, exampleEvent, type Family, type KindOf } from '@runlog/contracts';
import { uniqueName } from '@runlog/testing';
import { CloudEvent, HTTP } from 'cloudevents';
import { event, type IngestFixture, startIngest } from './ingest-fixtures';

describe('POST /v1/events', () => {
  let fx: IngestFixture;
  beforeAll(async () => {
    fx = await startIngest({ INGEST_MAX_BATCH: '200', INGEST_MAX_BODY_BYTES: '262144' });
  });
  afterAll(() => fx?.close(), 30_000);

  it('takes a batch of every kind, in order, and answers where each went', async () => {
    const batch = ALL_KINDS.map(({ family, kind }) => event(family, kind as KindOf<Family>));
    const before = await fx.counts();
    const answer = await postAll(fx, batch);
    expect(answer.status).toBe(202);
    const accepted = answer.body['accepted'] as Array<Record<string, unknown>>;
    expect(accepted.map((a) => a['index'])).toEqual(batch.map((_, i) => i));
    expect(accepted.map((a) => a['id'])).toEqual(batch.map((e) => e.id));
    const after = await fx.counts();
    for (const [index, { family, kind }] of ALL_KINDS.entries()) {
      const item = accepted[index]!;
      if (family === 'engine' && kind !== 'request_served') {
        expect(item).toMatchObject({ stream: null, cursor: null, duplicate: false });
      } else {
        expect(item).toMatchObject({ stream: `RUNLOG_${family.toUpperCase()}`, duplicate: false });
        expect(item['cursor']).toMatch(/^\d+$/);
      }
    }
    const stored = (family: Family) =>
      ALL_KINDS.filter(
        (k) => k.family === family && !(family === 'engine' && k.kind !== 'request_served'),
      ).length;
    for (const family of Object.keys(after) as Family[])
      expect(after[family] - before[family]).toBe(stored(family));
  });

  it('stores the event as decoded: time filled, subject derived, msgID = id', async () => {
    const sent = event('lease_history', 'acquired', { execution_id: 'exec.with.dots' });
    delete (sent as Record<string, unknown>)['time'];
    delete (sent as Record<string, unknown>)['subject'];
    const answer = await fx.post(sent);
    expect(answer.status).toBe(202);
    const [item] = answer.body['accepted'] as Array<{ cursor: string }>;
    const stored = await fx.jsm.streams.getMessage('RUNLOG_LEASE_HISTORY', {
      seq: Number(item!.cursor),
    });
    const body = stored!.json<Record<string, unknown>>();
    expect(body['subject']).toBe('exec.with.dots');
    expect(typeof body['time']).toBe('string');
    expect(stored!.subject).toMatch(/^events\.lease_history\.~/);
    expect(stored!.header.get('Nats-Msg-Id')).toBe(sent.id);
  });

  it('answers the first cursor and duplicate: true for an id seen before', async () => {
    const sent = event('trace', 'op_start');
    const first = await fx.post(sent);
    const second = await fx.post(sent);
    const [a] = first.body['accepted'] as Array<Record<string, unknown>>;
    const [b] = second.body['accepted'] as Array<Record<string, unknown>>;
    expect(second.status).toBe(202);
    expect(b).toEqual({ ...a, duplicate: true });
  });

  it('rejects the whole batch for one bad event, naming index and path, and writes nothing', async () => {
    const good = event('trace', 'op_start');
    const bad = event('engine', 'request_served', { status_code: 700 });
    const before = await fx.counts();
    const answer = await fx.post([good, bad]);
    expect(answer.status).toBe(400);
    expect(answer.body['rejected']).toEqual([
      {
        index: 1,
        id: bad.id,
        errors: [expect.objectContaining({ path: 'data.status_code', code: 'out_of_range' })],
      },
    ]);
    expect((answer.body['error'] as Record<string, unknown>)['code']).toBe('validation_failed');
    expect(await fx.counts()).toEqual(before);
  });

  it('rejects content in engine events at any depth; nothing reaches RUNLOG_ENGINE', async () => {
    const before = await fx.counts();
    const nested = event('engine', 'request_served');
    nested.data['meta'] = { messages: [{ role: 'user' }] };
    const top = event('engine', 'engine_started', { prompt: 'hi' });
    const answer = await fx.post([nested, top]);
    expect(answer.status).toBe(400);
    expect((answer.body['error'] as Record<string, unknown>)['code']).toBe(
      'confidentiality_violation',
    );
    const rejected = answer.body['rejected'] as Array<{
      errors: Array<{ path: string; code: string }>;
    }>;
    expect(rejected[0]!.errors).toContainEqual(
      expect.objectContaining({ path: 'data.meta.messages', code: 'confidentiality_violation' }),
    );
    expect(rejected[1]!.errors).toContainEqual(
      expect.objectContaining({ path: 'data.prompt', code: 'confidentiality_violation' }),
    );
    expect((await fx.counts()).engine).toBe(before.engine);
  });

  it('sends engine lifecycle kinds live on core NATS and never stores them', async () => {
    const model = uniqueName('model');
    const live = fx.nc.subscribe(`live.engine.${model}`, { max: 1 });
    const before = await fx.counts();
    const started = event('engine', 'engine_started', { model });
    const answer = await fx.post(started);
    expect(answer.status).toBe(202);
    for await (const message of live) {
      expect(message.json<Record<string, unknown>>()).toMatchObject({
        id: started.id,
        type: 'runlog.engine.engine_started',
      });
    }
    expect((await fx.counts()).engine).toBe(before.engine);
    const info = await fx.jsm.streams.info('RUNLOG_ENGINE', { subjects_filter: '>' });
    expect(Object.keys(info.state.subjects ?? {}).some((s) => s.includes(model))).toBe(false);
  });

  it.each([
    ['malformed JSON', { raw: '{"specversion": ' }, 400, 'malformed_json'],
    ['an empty array', { raw: '[]' }, 400, 'empty_batch'],
    ['a JSON string', { raw: '"event"' }, 400, 'invalid_request'],
    [
      'a wrong content type',
      { raw: 'x', headers: { 'content-type': 'text/plain' } },
      415,
      'unsupported_media_type',
    ],
    [
      'too many events',
      { raw: JSON.stringify(Array.from({ length: 201 }, () => ({}))) },
      413,
      'too_many_events',
    ],
    [
      'a body over the limit',
      { raw: JSON.stringify([{ pad: 'x'.repeat(300_000) }]) },
      413,
      'payload_too_large',
    ],
  ])('answers %s with a clear error and writes nothing', async (_, init, status, code) => {
    const before = await fx.counts();
    const answer = await fx.post(undefined, init);
    expect(answer.status).toBe(status);
    expect(Object.keys(answer.body)).toEqual(['error']);
    expect(answer.body['error']).toMatchObject({ code });
    expect(String((answer.body['error'] as { message: unknown }).message)).not.toBe('');
    expect(await fx.counts()).toEqual(before);
  });

  it.each([
    [
      'an id ending in whitespace (header values are trimmed)',
      { id: 'abc ' },
      'id',
      'invalid_format',
    ],
    ['an id with a line break', { id: 'a\nb' }, 'id', 'invalid_format'],
    ['an id over 1024 characters', { id: 'i'.repeat(1025) }, 'id', 'invalid_format'],
    ['a source with a line break', { source: 'x\r\ny' }, 'source', 'invalid_format'],
  ])('rejects %s', async (_, overrides, path, code) => {
    const before = await fx.counts();
    const answer = await fx.post({ ...event('trace', 'op_start'), ...overrides });
    expect(answer.status).toBe(400);
    expect(answer.body['rejected']).toEqual([
      expect.objectContaining({ errors: [expect.objectContaining({ path, code })] }),
    ]);
    expect(await fx.counts()).toEqual(before);
  });

  it('rejects a key whose NATS subject would not fit a protocol line, and a reserved name', async () => {
    const before = await fx.counts();
    const long = event('lease_history', 'acquired', { execution_id: 'e'.repeat(5000) });
    const reserved = event('trace', 'op_start');
    reserved.data['payload'] = { inputs: { constructor: 1 } };
    const answer = await fx.post([long, reserved]);
    expect(answer.status).toBe(400);
    expect(answer.body['rejected']).toEqual([
      expect.objectContaining({
        index: 0,
        errors: [expect.objectContaining({ path: 'subject', code: 'invalid_format' })],
      }),
      expect.objectContaining({
        index: 1,
        errors: [
          expect.objectContaining({
            path: 'data.payload.inputs.constructor',
            code: 'invalid_value',
          }),
        ],
      }),
    ]);
    expect(await fx.counts()).toEqual(before);
  });

  it.each([
    ['__proto__ in data', '"data":{', '"__proto__":{"polluted":true},', 'data.__proto__'],
    ['__proto__ as an attribute', '', '"__proto__":{"polluted":true},', '__proto__'],
    [
      'constructor.prototype in a payload',
      '"payload":{',
      '"constructor":{"prototype":{"polluted":true}},',
      'data.payload.constructor',
    ],
  ])(
    'refuses %s by its path, as async ingress does (not as a body that is "not JSON")',
    async (_, after, key, path) => {
      const before = await fx.counts();
      const valid = JSON.stringify(event('trace', 'op_start'));
      const at = after === '' ? 1 : valid.indexOf(after) + after.length;
      const answer = await fx.post(undefined, {
        raw: `${valid.slice(0, at)}${key}${valid.slice(at)}`,
      });
      expect(answer.status).toBe(400);
      expect(answer.body['rejected']).toEqual([
        expect.objectContaining({ errors: [expect.objectContaining({ path })] }),
      ]);
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(await fx.counts()).toEqual(before);
    },
  );

  it('names unknown families and kinds by path', async () => {
    const answer = await fx.post([
      { ...event('trace', 'op_start'), type: 'runlog.nope.op_start' },
      { ...event('trace', 'op_start'), type: 'runlog.trace.nope' },
    ]);
    expect(answer.status).toBe(400);
    const rejected = answer.body['rejected'] as Array<{
      errors: Array<{ path: string; code: string }>;
    }>;
    expect(rejected.map((r) => r.errors.find((e) => e.path === 'type')?.code)).toEqual([
      'unknown_family',
      'unknown_kind',
    ]);
  });

  it('takes structured and binary CloudEvents from the cloudevents SDK', async () => {
    const base = exampleEvent('trace', 'op_start');
    const make = () =>
      new CloudEvent({
        id: uniqueName('sdk'),
        source: base.source,
        type: base.type,
        time: base.time,
        datacontenttype: 'application/json',
        data: base.data,
      });
    for (const message of [HTTP.structured(make()), HTTP.binary(make())]) {
      const headers = Object.fromEntries(
        Object.entries(message.headers).map(([k, v]) => [k, String(v)]),
      );
      const answer = await fx.post(undefined, { raw: String(message.body), headers });
      expect(answer.status).toBe(202);
      expect(answer.body['accepted']).toEqual([
        expect.objectContaining({ stream: 'RUNLOG_TRACE', duplicate: false }),
      ]);
    }
    const batch = [make(), make()];
    const answer = await fx.post(undefined, {
      raw: JSON.stringify(batch),
      headers: { 'content-type': 'application/cloudevents-batch+json' },
    });
    expect(answer.status).toBe(202);
    expect((answer.body['accepted'] as unknown[]).length).toBe(2);
  });
});

describe('POST /v1/events with RUNLOG_API_KEYS', () => {
  let fx: IngestFixture;
  beforeAll(async () => {
    fx = await startIngest({
      RUNLOG_API_KEYS: 'engine-key-0000001=engine,trace;admin-key-00000001=*',
    });
  });
  afterAll(() => fx?.close(), 30_000);

  it('needs a known key (401), and a key for every family in the batch (403)', async () => {
    const trace = event('trace', 'op_start');
    const lease = event('lease_history', 'acquired');
    const before = await fx.counts();
    expect((await fx.post(trace)).status).toBe(401);
    const unknown = await fx.post(trace, { headers: { authorization: 'Bearer nope' } });
    expect(unknown.status).toBe(401);
    expect(JSON.stringify(unknown.body)).not.toContain('engine-key-0000001');
    const forbidden = await fx.post([trace, lease], {
      headers: { authorization: 'Bearer engine-key-0000001' },
    });
    expect(forbidden.status).toBe(403);
    expect(await fx.counts()).toEqual(before);
    expect(
      (await fx.post(trace, { headers: { authorization: 'Bearer engine-key-0000001' } })).status,
    ).toBe(202);
    expect(
      (await fx.post(lease, { headers: { authorization: 'Bearer admin-key-00000001' } })).status,
    ).toBe(202);
  });
});

describe('POST /v1/events with an event larger than a NATS message', () => {
  let fx: IngestFixture;
  beforeAll(async () => {
    fx = await startIngest(); // INGEST_MAX_BODY_BYTES 4 MiB, NATS max_payload 1 MiB
  });
  afterAll(() => fx?.close(), 30_000);

  it('rejects it as too_large before writing anything', async () => {
    const big = event('trace', 'annotation');
    big.data['payload'] = { key: 'blob', value: 'x'.repeat(1024 * 1024) };
    const before = await fx.counts();
    const answer = await fx.post([event('trace', 'op_start'), big]);
    expect(answer.status).toBe(400);
    expect(answer.body['rejected']).toEqual([
      { index: 1, id: big.id, errors: [expect.objectContaining({ path: '', code: 'too_large' })] },
    ]);
    expect(await fx.counts()).toEqual(before);
  });
});

describe('GET /v1/families', () => {
  let fx: IngestFixture;
  beforeAll(async () => {
    fx = await startIngest();
  });
  afterAll(() => fx?.close(), 30_000);

  it('lists each family with its stream, count and first and last cursor', async () => {
    await fx.post([event('trace', 'op_start'), event('trace', 'op_end')]);
    const response = await fetch(`${fx.url}/v1/families`);
    const body = (await response.json()) as { families: Array<Record<string, unknown>> };
    expect(body.families.find((f) => f['family'] === 'trace')).toEqual({
      family: 'trace',
      stream: 'RUNLOG_TRACE',
      messages: 2,
      first_cursor: '1',
      last_cursor: '2',
    });
    expect(body.families.find((f) => f['family'] === 'pipeline')).toMatchObject({
      messages: 0,
      first_cursor: null,
      last_cursor: null,
    });
  });
});

function postAll(fx: IngestFixture, batch: unknown[]) {
  return fx.post(batch);
}
