import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Bus } from '@runlog/bus';
import { type DeliveredEvent, encodeKeyToken, type Family } from '@runlog/contracts';
import { uniqueName } from '@runlog/testing';
import { CloudEvent, HTTP, type Message } from 'cloudevents';
import { event, type IngestFixture, startIngest } from './ingest-fixtures';

// CloudEvents 1.0.2 conformance over real NATS (issue 21): the JSON format and the HTTP
// binding, valid and invalid, with runlog types and data; the cloudevents SDK's emitters
// with extensions in both modes; and the stored event carrying them to a consumer.

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TRACESTATE = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';

interface Rejected {
  rejected: Array<{
    index: number;
    errors: Array<{ path: string; code: string; message: string }>;
  }>;
}

describe('CloudEvents 1.0.2 at POST /v1/events', () => {
  let fx: IngestFixture;
  let bus: Bus;
  beforeAll(async () => {
    fx = await startIngest();
    bus = await Bus.connect(
      { servers: [fx.server.url], name: uniqueName('ce'), streams: { replicas: 1, maxAgeMs: {} } },
      { provision: false },
    );
  });
  afterAll(async () => {
    await bus?.close();
    await fx?.close();
  }, 30_000);

  /** Posts an SDK message (either mode) as the cloudevents HTTP emitter would. */
  const postMessage = (message: Message) =>
    fx.post(undefined, {
      raw: String(message.body),
      headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v)])),
    });

  /** The first event a consumer gets for an execution, replaying the family stream. */
  async function delivered<F extends Family>(family: F, key: string): Promise<DeliveredEvent<F>> {
    const abort = new AbortController();
    try {
      for await (const item of bus.subscribe(family, { key, signal: abort.signal }))
        if (item.type === 'event') return item.event;
      throw new Error('the subscription ended');
    } finally {
      abort.abort();
    }
  }

  async function storedMessage(stream: string, cursor: string) {
    const message = await fx.jsm.streams.getMessage(stream, { seq: Number(cursor) });
    if (message === null) throw new Error(`no message ${stream}#${cursor}`);
    return message;
  }

  const sdkEvent = (executionId: string, extensions: Record<string, unknown>) => {
    const base = event('lease_history', 'acquired', { execution_id: executionId });
    return new CloudEvent({
      id: base.id,
      source: base['source'] as string,
      type: base['type'] as string,
      time: base['time'] as string,
      datacontenttype: 'application/json',
      dataschema: 'https://example.com/schemas/lease_history/acquired.json',
      data: base.data,
      ...extensions,
    });
  };

  it('takes an SDK structured event with extensions, stores them, and gives them to a consumer', async () => {
    const executionId = uniqueName('ce-structured');
    const extensions = {
      tenant: 'acme',
      shard: 7,
      replay: false,
      traceparent: TRACEPARENT,
      tracestate: TRACESTATE,
    };
    const answer = await postMessage(HTTP.structured(sdkEvent(executionId, extensions)));
    expect(answer.status).toBe(202);
    const [accepted] = answer.body['accepted'] as Array<{ cursor: string }>;

    const stored = await storedMessage('RUNLOG_LEASE_HISTORY', accepted!.cursor);
    expect(stored.json<Record<string, unknown>>()).toMatchObject({
      ...extensions,
      dataschema: 'https://example.com/schemas/lease_history/acquired.json',
      datacontenttype: 'application/json',
    });
    // The Distributed Tracing extension also travels as NATS headers (DESIGN.md §2).
    expect(stored.header.get('traceparent')).toBe(TRACEPARENT);
    expect(stored.header.get('tracestate')).toBe(TRACESTATE);

    const got = await delivered('lease_history', executionId);
    expect(got.extensions).toEqual(extensions);
    expect(got.dataschema).toBe('https://example.com/schemas/lease_history/acquired.json');
  });

  it('takes an SDK binary event: ce-<name> headers become extensions, as strings', async () => {
    const executionId = uniqueName('ce-binary');
    const message = HTTP.binary(
      sdkEvent(executionId, {
        tenant: 'acme corp',
        shard: 7,
        replay: true,
        traceparent: TRACEPARENT,
      }),
    );
    expect(message.headers).toMatchObject({
      'ce-tenant': 'acme corp',
      'ce-traceparent': TRACEPARENT,
    });
    const answer = await postMessage(message);
    expect(answer.status).toBe(202);
    const got = await delivered('lease_history', executionId);
    expect(got.extensions).toEqual({
      tenant: 'acme corp',
      shard: '7',
      replay: 'true',
      traceparent: TRACEPARENT,
    });
  });

  it('percent-decodes binary-mode header values (HTTP binding §3.1.3.2)', async () => {
    const sent = event('lease_history', 'acquired', { execution_id: uniqueName('ce-pct') });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(sent))
      if (name !== 'data' && name !== 'datacontenttype') headers[`ce-${name}`] = String(value);
    headers['ce-region'] = 'eu%20west%E2%82%AC';
    const answer = await fx.post(undefined, { raw: JSON.stringify(sent.data), headers });
    expect(answer.status).toBe(202);
    const got = await delivered('lease_history', sent.data['execution_id'] as string);
    expect(got.extensions).toEqual({ region: 'eu west€' });
  });

  it('takes null on optional attributes as absent, and a dataschema', async () => {
    const sent = {
      ...event('lease_history', 'acquired', { execution_id: uniqueName('ce-null') }),
      time: null,
      subject: null,
      datacontenttype: null,
      sourceseq: null,
      tenant: null,
      dataschema: 'urn:runlog:lease_history:acquired:1',
    };
    const answer = await fx.post(sent);
    expect(answer.status).toBe(202);
    const [accepted] = answer.body['accepted'] as Array<{ cursor: string }>;
    const body = (await storedMessage('RUNLOG_LEASE_HISTORY', accepted!.cursor)).json<
      Record<string, unknown>
    >();
    expect(typeof body['time']).toBe('string');
    expect(body['subject']).toBe(sent.data['execution_id']);
    expect(body['dataschema']).toBe('urn:runlog:lease_history:acquired:1');
    expect(Object.keys(body)).not.toEqual(expect.arrayContaining(['tenant']));
    expect(Object.keys(body)).not.toContain('sourceseq');
  });

  it.each([
    ['an upper-case extension name', { Tenant: 'x' }, 'Tenant', 'unknown_property'],
    ['an extension name with _', { trace_id: 'x' }, 'trace_id', 'unknown_property'],
    ['a reserved extension name', { cursor: '1' }, 'cursor', 'unknown_property'],
    ['data_base64', { data_base64: 'aGk=' }, 'data_base64', 'unknown_property'],
    ['an object extension value', { tenant: { a: 1 } }, 'tenant', 'invalid_type'],
    ['a fractional extension value', { shard: 1.5 }, 'shard', 'invalid_type'],
    ['an integer beyond 32 bits', { shard: 2 ** 31 }, 'shard', 'out_of_range'],
    ['a malformed traceparent', { traceparent: '00-abc' }, 'traceparent', 'invalid_format'],
    ['NUL in an extension value', { tenant: 'a\u0000b' }, 'tenant', 'invalid_value'],
    ['a relative dataschema', { dataschema: '/schemas/a.json' }, 'dataschema', 'invalid_format'],
    ['a source that is no URI-reference', { source: 'my service' }, 'source', 'invalid_format'],
    [
      'a datacontenttype that is no media type',
      { datacontenttype: 'json' },
      'datacontenttype',
      'invalid_value',
    ],
    ['specversion 0.3', { specversion: '0.3' }, 'specversion', 'invalid_value'],
  ])(
    'refuses %s with 400, its path and code, and writes nothing',
    async (_label, extra, path, code) => {
      const before = await fx.counts();
      const answer = await fx.post([
        event('trace', 'op_start'),
        { ...event('trace', 'op_start'), ...extra },
      ]);
      expect(answer.status).toBe(400);
      expect((answer.body as unknown as Rejected).rejected).toEqual([
        {
          index: 1,
          id: expect.any(String) as string,
          errors: [expect.objectContaining({ path, code })],
        },
      ]);
      expect((await fx.counts()).trace).toBe(before.trace);
    },
  );

  it('refuses bad ce-<name> headers in binary mode by the attribute path', async () => {
    const sent = event('trace', 'op_start');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(sent))
      if (name !== 'data' && name !== 'datacontenttype') headers[`ce-${name}`] = String(value);
    const answer = await fx.post(undefined, {
      raw: JSON.stringify(sent.data),
      headers: { ...headers, 'ce-trace_id': 'x', 'ce-traceparent': 'nope' },
    });
    expect(answer.status).toBe(400);
    expect((answer.body as unknown as Rejected).rejected[0]?.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'trace_id', code: 'unknown_property' }),
        expect.objectContaining({ path: 'traceparent', code: 'invalid_format' }),
      ]),
    );
  });

  it('keeps engine extensions to identifiers, and never quotes a refused one', async () => {
    const ok = {
      ...event('engine', 'request_served'),
      region: 'eu-west-1',
      gpu: 2,
      traceparent: TRACEPARENT,
    };
    expect((await fx.post(ok)).status).toBe(202);
    for (const [name, value] of [
      ['region', 'the user asked about'],
      ['userprompt', 'x'],
      ['tracestate', 'vendor=what is it'],
    ] as const) {
      const answer = await fx.post({ ...event('engine', 'request_served'), [name]: value });
      expect(answer.status).toBe(400);
      const [rejected] = (answer.body as unknown as Rejected).rejected;
      expect(rejected?.errors).toEqual([
        expect.objectContaining({ path: name, code: 'confidentiality_violation' }),
      ]);
      if (value.includes(' ')) expect(JSON.stringify(answer.body)).not.toContain(value);
    }
  });

  it('sends a live engine event with its extensions, and traceparent as a header', async () => {
    const model = uniqueName('model');
    const live = fx.nc.subscribe(`live.engine.${model}`, { max: 1 });
    const sent = {
      ...event('engine', 'engine_started', { model }),
      traceparent: TRACEPARENT,
      gpu: 1,
    };
    expect((await fx.post(sent)).status).toBe(202);
    for await (const message of live) {
      expect(message.json<Record<string, unknown>>()).toMatchObject({
        traceparent: TRACEPARENT,
        gpu: 1,
      });
      expect(message.headers?.get('traceparent')).toBe(TRACEPARENT);
    }
  });

  it('takes extensions as ce-<name> headers on a NATS binary-mode message (async ingress)', async () => {
    const sent = event('lease_history', 'acquired', { execution_id: uniqueName('ce-nats') });
    const h = natsHeaders();
    for (const [name, value] of Object.entries(sent))
      if (name !== 'data') h.set(`ce-${name}`, String(value));
    h.set('ce-tenant', 'acme');
    h.set('ce-traceparent', TRACEPARENT);
    await jetstream(fx.nc).publish(
      `ingest.lease_history.${encodeKeyToken(sent.data['execution_id'] as string)}`,
      JSON.stringify(sent.data),
      { headers: h },
    );
    // The subscription replays, then waits live for the routed event.
    const got = await delivered('lease_history', sent.data['execution_id'] as string);
    expect(got.extensions).toEqual({ tenant: 'acme', traceparent: TRACEPARENT });
  });
});
