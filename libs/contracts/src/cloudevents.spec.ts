import { decode, decodeStored, encode, encodeBytes } from './decode';
import { type RunlogEvent } from './events';
import { exampleEvent } from './examples';
import { MAX_EXTENSION_NAME } from './extensions';
import { type Family, type KindOf } from './families';
import { isAbsoluteUri, isUriReference } from './uri';
import { parseMediaType } from './media-type';
import { type ValidationCode } from './validation-error';

// CloudEvents 1.0.2 conformance (issue 21): every rule of the core spec's attributes and
// type system and of the JSON event format, with runlog types and data. Extensions are
// accepted, kept and read back; `null` on an optional attribute means absent.

type Json = Record<string, unknown>;
type Failure = { readonly path: string; readonly code: ValidationCode };

function example(family: Family, kind: string, overrides: Json = {}): Json {
  const envelope = JSON.parse(JSON.stringify(exampleEvent(family, kind as KindOf<Family>))) as Json;
  return { ...envelope, ...overrides };
}

const lease = (overrides: Json = {}): Json => example('lease_history', 'acquired', overrides);
const engine = (overrides: Json = {}): Json => example('engine', 'request_served', overrides);

function failures(input: unknown): Failure[] {
  const result = decode(input);
  return result.ok ? [] : result.errors.map(({ path, code }) => ({ path, code }));
}

function decoded(input: unknown): RunlogEvent {
  const result = decode(input);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('CloudEvents core: specversion, id, source, type', () => {
  it.each(['0.3', '1', '1.0.2', 1, 1.0, '', null])('refuses specversion %p', (specversion) => {
    expect(failures(lease({ specversion }))).toEqual([
      { path: 'specversion', code: 'invalid_value' },
    ]);
  });

  it.each([
    ['', 'blank'],
    [null, 'required'],
    [7, 'invalid_type'],
  ] as const)('refuses id %p (a non-empty string) with `%s`', (id, code) => {
    expect(failures(lease({ id }))).toEqual([{ path: 'id', code }]);
  });

  it.each([
    'example/producer@host-1',
    'https://github.com/cloudevents',
    'mailto:cncf-wg-serverless@lists.cncf.io',
    'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
    '/cloudevents/spec/pull/123',
    '1-555-123-4567',
    'svc/a%20b',
    '//host:8080/p?q=1#frag',
    'http://[::1]:4100/x',
  ])('accepts the URI-reference source %p', (source) => {
    expect(failures(lease({ source }))).toEqual([]);
    expect(isUriReference(source)).toBe(true);
  });

  it.each(['svc a', 'ключ', 'a%zz', ':no-scheme', 'a<b>', 'http://[::g]/', 'a\\b', 'a"b', '%'])(
    'refuses source %p (not an RFC 3986 URI-reference) with `invalid_format`',
    (source) => {
      expect(failures(lease({ source }))).toEqual([{ path: 'source', code: 'invalid_format' }]);
    },
  );

  it('refuses an engine source that is an identifier but no URI-reference', () => {
    expect(failures(engine({ source: ':x' }))).toEqual([
      { path: 'source', code: 'invalid_format' },
    ]);
  });

  it.each([
    ['', 'invalid_format'],
    [null, 'invalid_type'],
    [3, 'invalid_type'],
  ] as const)('refuses type %p with `%s`', (type, code) => {
    expect(failures(lease({ type }))).toEqual(expect.arrayContaining([{ path: 'type', code }]));
  });
});

describe('CloudEvents core: dataschema (URI, RFC 3986 §4.3)', () => {
  it.each([
    'https://example.com/schemas/lease/acquired.json',
    'urn:runlog:schema:lease_history.acquired:1',
    'http://example.com:8080/s?v=1',
    'file:///schemas/acquired.json',
  ])('accepts and keeps %p', (dataschema) => {
    const event = decoded(lease({ dataschema }));
    expect(event.dataschema).toBe(dataschema);
    expect(encode(event).dataschema).toBe(dataschema);
    expect(
      decodeStored(JSON.parse(JSON.stringify(encode(event)))).ok && isAbsoluteUri(dataschema),
    ).toBe(true);
  });

  it.each([
    '/schemas/acquired.json',
    'schemas/acquired.json',
    'https://example.com/s.json#/definitions/a',
    'https://example.com/a b',
    '',
    'ключ:x',
  ])('refuses %p (relative, with a fragment, or not a URI) with `invalid_format`', (dataschema) => {
    expect(failures(lease({ dataschema }))).toEqual([
      { path: 'dataschema', code: 'invalid_format' },
    ]);
  });

  it.each([42, true, {}, ['https://x']])('refuses %p with `invalid_type`', (dataschema) => {
    expect(failures(lease({ dataschema }))).toEqual([{ path: 'dataschema', code: 'invalid_type' }]);
  });

  it('keeps an engine dataschema to the identifier characters (no percent-encoded text)', () => {
    expect(failures(engine({ dataschema: 'https://example.com/engine/request_served' }))).toEqual(
      [],
    );
    expect(failures(engine({ dataschema: 'https://x.example/my%20secret%20prompt' }))).toEqual([
      { path: 'dataschema', code: 'confidentiality_violation' },
    ]);
  });

  it('is left out of the event and its envelope when absent', () => {
    const event = decoded(lease());
    expect(Object.keys(event)).not.toContain('dataschema');
    expect(Object.keys(encode(event))).not.toContain('dataschema');
  });
});

describe('CloudEvents core: datacontenttype (RFC 2046)', () => {
  it.each(['application/json', 'application/json;charset=utf-8', 'application/json ; a="b c"'])(
    'accepts %p, stored as application/json',
    (datacontenttype) => {
      expect(encode(decoded(lease({ datacontenttype }))).datacontenttype).toBe('application/json');
    },
  );

  it.each([
    'application',
    'application/',
    '/json',
    'application/json;',
    'application/json; x',
    'a b/c',
  ])('refuses %p, not a media type, with `invalid_value`', (datacontenttype) => {
    const result = decode(lease({ datacontenttype }));
    expect(result).toMatchObject({
      ok: false,
      errors: [
        {
          path: 'datacontenttype',
          code: 'invalid_value',
          message: expect.stringContaining('RFC 2046') as string,
        },
      ],
    });
  });

  it.each(['text/plain', 'application/xml', 'application/vnd.runlog+json'])(
    'refuses the media type %p, not JSON, with `invalid_value`',
    (datacontenttype) => {
      expect(parseMediaType(datacontenttype)).toBeDefined();
      expect(failures(lease({ datacontenttype }))).toEqual([
        { path: 'datacontenttype', code: 'invalid_value' },
      ]);
    },
  );
});

describe('CloudEvents JSON format: null on an optional attribute means absent', () => {
  it('fills time, derives subject, leaves out datacontenttype, dataschema and sourceseq', () => {
    const receivedAt = new Date('2026-12-24T18:30:00.250Z');
    const result = decode(
      lease({
        time: null,
        subject: null,
        datacontenttype: null,
        dataschema: null,
        sourceseq: null,
      }),
      { receivedAt },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.time).toBe('2026-12-24T18:30:00.250Z');
    expect(result.value.subject).toBe('exec-1');
    expect(Object.keys(result.value)).not.toEqual(
      expect.arrayContaining(['dataschema', 'sourceseq', 'extensions']),
    );
  });

  it('leaves out an extension that is null', () => {
    const event = decoded(lease({ tenant: null, region: 'eu' }));
    expect(event.extensions).toEqual({ region: 'eu' });
    expect(decoded(lease({ tenant: null })).extensions).toBeUndefined();
  });

  it.each(['specversion', 'id', 'source', 'type', 'data'])(
    'still refuses a required %p that is null',
    (name) => {
      expect(failures(lease({ [name]: null })).map((f) => f.path)).toContain(name);
    },
  );
});

describe('CloudEvents extension attributes: names', () => {
  it.each(['a', '1', 'tenant', 'traceid2', 'x'.repeat(20), 'y'.repeat(MAX_EXTENSION_NAME)])(
    'accepts the name %p',
    (name) => {
      expect(decoded(lease({ [name]: 'v' })).extensions).toEqual({ [name]: 'v' });
    },
  );

  it.each([
    'Tenant',
    'trace_id',
    'trace-id',
    'a.b',
    'ключ',
    '',
    'x'.repeat(MAX_EXTENSION_NAME + 1),
    'data_base64',
    'cursor',
    'family',
    'kind',
    'extensions',
  ])('refuses the name %p with `unknown_property`, naming it', (name) => {
    const result = decode(lease({ [name]: 'v' }));
    expect(result).toMatchObject({
      ok: false,
      errors: [
        { path: name, code: 'unknown_property', message: expect.stringContaining(name) as string },
      ],
    });
  });

  it('never takes a core attribute or sourceseq as an extension', () => {
    const event = decoded(lease({ subject: 'exec-1', sourceseq: 3, dataschema: 'urn:x:y' }));
    expect(event.extensions).toBeUndefined();
  });
});

describe('CloudEvents extension attributes: values (the type system in JSON)', () => {
  it.each([
    ['a string', 'eu-west-1'],
    ['an empty string', ''],
    ['an integer', 42],
    ['zero', 0],
    ['the least Integer', -(2 ** 31)],
    ['the greatest Integer', 2 ** 31 - 1],
    ['true', true],
    ['false', false],
    ['a URI (as a string)', 'https://example.com/x'],
    ['a Timestamp (as a string)', '2026-11-23T10:00:00Z'],
    ['Binary (base64, as a string)', 'aGVsbG8='],
  ])('accepts %s and keeps it as given', (_label, value) => {
    expect(decoded(lease({ region: value })).extensions).toEqual({ region: value });
  });

  it.each([
    [1.5, 'invalid_type'],
    [2 ** 31, 'out_of_range'],
    [-(2 ** 31) - 1, 'out_of_range'],
    [Number.MAX_SAFE_INTEGER, 'out_of_range'],
    [{ a: 1 }, 'invalid_type'],
    [['a'], 'invalid_type'],
    [[], 'invalid_type'],
  ] as const)('refuses %p with `%s`', (value, code) => {
    expect(failures(lease({ region: value }))).toEqual([{ path: 'region', code }]);
  });

  it('reports every bad extension at once, with the other errors', () => {
    expect(failures(lease({ a: 1.5, B: 'x', c: { d: 1 }, id: '' }))).toEqual(
      expect.arrayContaining([
        { path: 'a', code: 'invalid_type' },
        { path: 'B', code: 'unknown_property' },
        { path: 'c', code: 'invalid_type' },
        { path: 'id', code: 'blank' },
      ]),
    );
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\uD800'],
    ['a lone low surrogate', '\uDC00z'],
  ])('refuses a value with %s as `invalid_value` (the stores cannot hold it)', (_label, value) => {
    expect(failures(lease({ region: value }))).toEqual([{ path: 'region', code: 'invalid_value' }]);
  });

  it('refuses a name with NUL as `invalid_value`', () => {
    expect(failures(lease({ 'a\u0000': 'x' }))).toEqual([
      { path: '["a\\u0000"]', code: 'invalid_value' },
    ]);
  });
});

describe('CloudEvents extension attributes: Distributed Tracing (W3C Trace Context)', () => {
  it.each([TRACEPARENT, '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'])(
    'accepts traceparent %p',
    (traceparent) => {
      expect(decoded(lease({ traceparent })).extensions).toEqual({ traceparent });
    },
  );

  it.each([
    '00-abc',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    ` ${TRACEPARENT}`,
  ])('refuses traceparent %p with `invalid_format`', (traceparent) => {
    expect(failures(lease({ traceparent }))).toEqual([
      { path: 'traceparent', code: 'invalid_format' },
    ]);
  });

  it.each(['rojo=00f067aa0ba902b7', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'a@b=x y, c=1,,'])(
    'accepts tracestate %p',
    (tracestate) => {
      expect(decoded(lease({ tracestate })).extensions).toEqual({ tracestate });
    },
  );

  it.each([
    'rojo',
    'Rojo=1',
    'a=b=c',
    'a=',
    'a=x\ty',
    Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','),
  ])('refuses tracestate %p with `invalid_format`', (tracestate) => {
    expect(failures(lease({ tracestate }))).toEqual([
      { path: 'tracestate', code: 'invalid_format' },
    ]);
  });

  it.each([7, true])('refuses a non-string traceparent %p with `invalid_type`', (traceparent) => {
    expect(failures(lease({ traceparent }))).toEqual([
      { path: 'traceparent', code: 'invalid_type' },
    ]);
  });
});

describe('CloudEvents extension attributes on engine events (confidentiality)', () => {
  it('accepts identifiers, integers, booleans and the W3C tracing attributes', () => {
    const extensions = {
      region: 'eu-west-1',
      gpu: 3,
      warm: true,
      traceparent: TRACEPARENT,
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    };
    expect(decoded(engine(extensions)).extensions).toEqual(extensions);
  });

  it.each(['my secret prompt', 'Sure! Here', 'x'.repeat(129), ''])(
    'refuses the string value %p without quoting it',
    (value) => {
      const result = decode(engine({ region: value }));
      expect(result).toMatchObject({
        ok: false,
        errors: [{ path: 'region', code: 'confidentiality_violation' }],
      });
      if (!result.ok && value !== '') expect(result.errors[0]?.message).not.toContain(value);
    },
  );

  it('refuses a tracestate whose values are text', () => {
    expect(failures(engine({ tracestate: 'vendor=what is the capital' }))).toEqual([
      { path: 'tracestate', code: 'confidentiality_violation' },
    ]);
  });

  it.each(['prompt', 'responses', 'userprompt', 'inputtokens', 'context', 'textid'])(
    'refuses the extension name %p, whatever its value, even null',
    (name) => {
      for (const value of ['x', 1, null])
        expect(failures(engine({ [name]: value }))).toEqual([
          { path: name, code: 'confidentiality_violation' },
        ]);
    },
  );

  it('keeps the same names and text on other families', () => {
    expect(decoded(lease({ context: 'my words here', prompt: 'p' })).extensions).toEqual({
      context: 'my words here',
      prompt: 'p',
    });
  });
});

describe('CloudEvents JSON format: extensions in the stored envelope', () => {
  const extensions = { tenant: 'acme', shard: 7, replay: false, traceparent: TRACEPARENT };

  it('writes them as top-level attributes, and reads them back to the same event', () => {
    const event = decoded(lease(extensions));
    const envelope = encode(event);
    expect(envelope).toMatchObject(extensions);
    expect(Object.keys(envelope)).not.toContain('extensions');
    const stored = JSON.parse(new TextDecoder().decode(encodeBytes(event))) as Json;
    expect(decodeStored(stored)).toEqual({ ok: true, value: event });
    expect(decode(stored)).toEqual({ ok: true, value: event });
  });

  it('never lets an extension of a typed event overwrite a known attribute', () => {
    const event = decoded(lease(extensions));
    const forged = { ...event, extensions: { id: 'other', data: 'x', kind: 'y', ok: 'z' } };
    const envelope = encode(forged);
    expect(envelope.id).toBe(event.id);
    expect(envelope.data).toEqual(event.data);
    expect(envelope['kind']).toBeUndefined();
    expect(envelope['ok']).toBe('z');
  });

  it('reads back only attributes of an extension name and type from a stored envelope', () => {
    const stored = { ...encode(decoded(lease())), Odd: 'x', nested: { a: 1 }, fine: 'y' };
    expect(decodeStored(stored)).toMatchObject({ ok: true, value: { extensions: { fine: 'y' } } });
  });
});
