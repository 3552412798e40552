import { decode, decodeStored, encode, encodeBytes, eventSubject } from './decode';
import { ENVELOPE_ATTRIBUTES, HEADERS } from './envelope';
import { type RunlogEvent } from './events';
import { exampleEvent } from './examples';
import {
  eventType,
  FAMILIES,
  type Family,
  isFamily,
  isKindOf,
  KINDS,
  type KindOf,
  parseEventType,
} from './families';
import { type ValidationCode } from './validation-error';

// The CloudEvents envelope of DESIGN.md §2: required and optional attributes, `type`
// parsing, the `subject` key rule, and the typed event decode returns.

type Json = Record<string, unknown>;
type Envelope = Json & { data: Json };
type Failure = { readonly path: string; readonly code: ValidationCode };

function example(family: Family, kind: string, overrides: Json = {}): Envelope {
  const envelope = JSON.parse(JSON.stringify(exampleEvent(family, kind as KindOf<Family>))) as Json;
  return { ...envelope, ...overrides } as Envelope;
}

/** A lease_history.acquired envelope: the simplest keyed kind. */
function base(overrides: Json = {}): Envelope {
  return example('lease_history', 'acquired', overrides);
}

function without(envelope: Envelope, ...names: string[]): Envelope {
  for (const name of names) delete envelope[name];
  return envelope;
}

function failures(input: unknown): Failure[] {
  const result = decode(input);
  return result.ok ? [] : result.errors.map(({ path, code }) => ({ path, code }));
}

function decoded(input: unknown): RunlogEvent {
  const result = decode(input);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

describe('decode: not an object', () => {
  it.each([null, undefined, [], [base()], 'event', 42, true])('rejects %p at the root', (input) => {
    expect(decode(input)).toEqual({
      ok: false,
      errors: [{ path: '', code: 'invalid_type', message: 'an event must be a JSON object' }],
    });
  });

  it('reports every required attribute of an empty object', () => {
    const found = failures({});
    expect(found).toEqual(
      expect.arrayContaining<Failure>(
        ['specversion', 'id', 'source', 'type', 'data'].map((path) => ({
          path,
          code: 'required',
        })),
      ),
    );
    expect(found).toHaveLength(5);
  });
});

describe('decode: required attributes', () => {
  it.each(['specversion', 'id', 'source', 'type', 'data'])(
    'rejects a missing %s with exactly one `required`',
    (name) => {
      expect(failures(without(base(), name))).toEqual([{ path: name, code: 'required' }]);
    },
  );

  it.each(['id', 'source', 'data'])('treats %s: null as missing', (name) => {
    expect(failures(base({ [name]: null }))).toEqual([{ path: name, code: 'required' }]);
  });

  it.each([
    ['', 'blank'],
    ['   ', 'blank'],
    ['\t\n', 'blank'],
    [7, 'invalid_type'],
    [true, 'invalid_type'],
    [{ id: 'x' }, 'invalid_type'],
    [['x'], 'invalid_type'],
  ] as const)('rejects id and source = %p with %s', (value, code) => {
    expect(failures(base({ id: value }))).toEqual([{ path: 'id', code }]);
    expect(failures(base({ source: value }))).toEqual([{ path: 'source', code }]);
  });

  it('names the path in every message', () => {
    const result = decode(without(base({ id: '' }), 'source'));
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([
      'id must not be blank',
      'source is required',
    ]);
  });
});

describe('decode: specversion', () => {
  it.each(['0.3', '1', '1.0 ', '2.0', 1, 1.0, true, null])('rejects %p', (value) => {
    expect(failures(base({ specversion: value }))).toEqual([
      { path: 'specversion', code: 'invalid_value' },
    ]);
  });
});

describe('decode: time', () => {
  it.each([
    '2026-11-23T10:00:00Z',
    '2026-11-23T10:00:00.000Z',
    '2026-11-23T10:00:00.123456789Z',
    '2026-11-23T10:00:00+05:30',
    '2026-11-23T10:00:00-08:00',
    '2026-11-23t10:00:00z',
    '2026-11-23 10:00:00Z',
    '2024-02-29T00:00:00Z',
  ])('accepts the RFC 3339 date-time %p and keeps it as sent', (time) => {
    expect(decoded(base({ time })).time).toBe(time);
  });

  it.each([
    'yesterday',
    '',
    '2026-11-23',
    '2026-11-23T10:00Z',
    '2026-11-23T10:00:00',
    '2026-11-23T10:00:00+0530',
    '2026-11-23T10:00:00 Z',
    '2026/11/23T10:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-32T00:00:00Z',
    '2026-11-23T25:00:00Z',
    '2026-11-23T10:60:00Z',
    'Mon, 23 Nov 2026 10:00:00 GMT',
    ' 2026-11-23T10:00:00Z',
  ])('rejects %p with `invalid_format`', (time) => {
    expect(failures(base({ time }))).toEqual([{ path: 'time', code: 'invalid_format' }]);
  });

  // Date.parse alone would roll 2026-02-30 over to 2026-03-02 and take hour 24.
  it.each(['2026-02-30T00:00:00Z', '2026-04-31T00:00:00Z', '2026-11-23T24:00:00Z'])(
    'rejects the instant that does not exist, %p, with `invalid_format`',
    (time) => {
      expect(failures(base({ time }))).toEqual([{ path: 'time', code: 'invalid_format' }]);
    },
  );

  it.each([1795428000000, true, {}, ['2026-11-23T10:00:00Z']])(
    'rejects a non-string time %p with `invalid_type`',
    (time) => {
      expect(failures(base({ time }))).toEqual([{ path: 'time', code: 'invalid_type' }]);
    },
  );

  it('fills a missing time with the receive time', () => {
    const receivedAt = new Date('2026-12-24T18:30:00.250Z');
    expect(decode(without(base(), 'time'), { receivedAt })).toMatchObject({
      ok: true,
      value: { time: '2026-12-24T18:30:00.250Z' },
    });
  });

  it('fills a missing time with now when no receive time is given', () => {
    const before = Date.now();
    const { time } = decoded(without(base(), 'time'));
    const after = Date.now();
    expect(new Date(time).toISOString()).toBe(time);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(after);
  });

  it('ignores receivedAt when the producer sent a time', () => {
    const receivedAt = new Date('2030-01-01T00:00:00Z');
    expect(decode(base(), { receivedAt })).toMatchObject({
      ok: true,
      value: { time: base()['time'] },
    });
  });
});

describe('decode: type', () => {
  it.each(
    FAMILIES.flatMap((family) =>
      (KINDS[family] as readonly string[]).map((kind) => [family, kind] as const),
    ),
  )('parses runlog.%s.%s', (family, kind) => {
    expect(parseEventType(`runlog.${family}.${kind}`)).toEqual({ ok: true, family, kind });
    expect(eventType(family, kind as KindOf<Family>)).toBe(`runlog.${family}.${kind}`);
  });

  it.each([
    ['', 'invalid_format'],
    ['lease_history.acquired', 'invalid_format'],
    ['runlog.lease_history', 'invalid_format'],
    ['runlog.lease_history.acquired.v2', 'invalid_format'],
    ['runlog..acquired', 'invalid_format'],
    ['runlog.lease_history.', 'invalid_format'],
    ['com.example.lease_history.acquired', 'invalid_format'],
    ['RUNLOG.lease_history.acquired', 'invalid_format'],
    [' runlog.lease_history.acquired', 'invalid_format'],
    ['runlog.lease-history.acquired', 'invalid_format'],
    ['runlog.nope.acquired', 'unknown_family'],
    ['runlog.lease.acquired', 'unknown_family'],
    ['runlog.leases_history.acquired', 'unknown_family'],
    ['runlog.__proto__.acquired', 'unknown_family'],
    ['runlog.constructor.acquired', 'unknown_family'],
    ['runlog.lease_history.nope', 'unknown_kind'],
    ['runlog.lease_history.completed', 'unknown_kind'],
    ['runlog.lease_history.Acquired', 'unknown_kind'],
    ['runlog.canonical.run_started', 'unknown_kind'],
    ['runlog.agent.RunStarted', 'unknown_kind'],
    ['runlog.engine.constructor', 'unknown_kind'],
    ['runlog.engine.toString', 'unknown_kind'],
  ] as const)('rejects type %p with `%s` and nothing else', (type, code) => {
    expect(parseEventType(type)).toEqual({ ok: false, code });
    expect(failures(base({ type }))).toEqual([{ path: 'type', code }]);
  });

  it('names the offending type in the message', () => {
    const result = decode(base({ type: 'runlog.nope.acquired' }));
    expect(result.ok ? '' : result.errors[0]?.message).toContain('"runlog.nope.acquired"');
  });

  it.each([42, true, ['runlog.lease_history.acquired'], {}])(
    'rejects a non-string type %p with `invalid_type`',
    (type) => {
      expect(failures(base({ type }))).toEqual([{ path: 'type', code: 'invalid_type' }]);
    },
  );

  it('still checks that data is an object when the type is unknown', () => {
    expect(failures(base({ type: 'runlog.nope.x', data: 'x' }))).toEqual([
      { path: 'type', code: 'unknown_family' },
      { path: 'data', code: 'invalid_type' },
    ]);
    expect(failures(without(base({ type: 'runlog.engine.nope' }), 'data'))).toEqual([
      { path: 'type', code: 'unknown_kind' },
      { path: 'data', code: 'required' },
    ]);
  });

  it('recognises every family and kind, and nothing else', () => {
    for (const family of FAMILIES) expect(isFamily(family)).toBe(true);
    for (const name of ['', 'Engine', 'events', 'deadletter', 'hasOwnProperty']) {
      expect(isFamily(name)).toBe(false);
    }
    expect(isKindOf('engine', 'request_served')).toBe(true);
    expect(isKindOf('engine', 'acquired')).toBe(false);
    expect(isKindOf('canonical', 'RunStarted')).toBe(true);
    expect(isKindOf('agent', 'RunStarted')).toBe(false);
  });
});

describe('decode: data must be an object', () => {
  it.each([
    ['lease_history', 'acquired'],
    ['engine', 'request_served'],
    ['agent', 'text_delta'],
    ['canonical', 'RunStarted'],
    ['trace', 'op_start'],
  ] as const)('for %s.%s', (family, kind) => {
    for (const data of ['x', 42, true, [], [{}]]) {
      expect([data, failures(example(family, kind, { data }))]).toEqual([
        data,
        [{ path: 'data', code: 'invalid_type' }],
      ]);
    }
    expect(failures(example(family, kind, { data: null }))).toEqual([
      { path: 'data', code: 'required' },
    ]);
  });
});

describe('decode: optional attributes', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'Application/JSON',
  ])('accepts datacontenttype %p', (datacontenttype) => {
    expect(failures(base({ datacontenttype }))).toEqual([]);
  });

  it.each([
    'text/plain',
    'application/jsonx',
    'application/cloudevents+json',
    'application/xml',
    '',
    ' application/json',
    42,
  ])('rejects datacontenttype %p with `invalid_value`', (datacontenttype) => {
    expect(failures(base({ datacontenttype }))).toEqual([
      { path: 'datacontenttype', code: 'invalid_value' },
    ]);
  });

  it.each([0, 1, 1042, Number.MAX_SAFE_INTEGER])('accepts and keeps sourceseq %p', (sourceseq) => {
    expect(decoded(base({ sourceseq })).sourceseq).toBe(sourceseq);
  });

  it.each([1.5, '1', true])('rejects sourceseq %p with `invalid_type`', (sourceseq) => {
    expect(failures(base({ sourceseq }))).toEqual([{ path: 'sourceseq', code: 'invalid_type' }]);
  });

  it.each([-1, Number.MAX_SAFE_INTEGER + 1])(
    'rejects sourceseq %p with `out_of_range`',
    (sourceseq) => {
      expect(failures(base({ sourceseq }))).toEqual([{ path: 'sourceseq', code: 'out_of_range' }]);
    },
  );

  it('leaves sourceseq out of the event when the producer did', () => {
    const event = decoded(without(base(), 'sourceseq'));
    expect(Object.keys(event)).not.toContain('sourceseq');
    expect(Object.keys(encode(event))).not.toContain('sourceseq');
  });

  // Lowercase a-z0-9 names are extensions now (extensions.spec.ts); these never are.
  it.each(['extensions', 'Data', 'ID', 'family', 'kind', 'cursor', 'data_base64', 'trace_id'])(
    'rejects the unknown top-level attribute %p on a non-engine event',
    (name) => {
      expect(failures(base({ [name]: 'x' }))).toEqual([{ path: name, code: 'unknown_property' }]);
    },
  );

  it('accepts exactly the attributes of DESIGN.md §2', () => {
    expect([...ENVELOPE_ATTRIBUTES].sort()).toEqual(
      [
        'specversion',
        'id',
        'source',
        'type',
        'time',
        'subject',
        'datacontenttype',
        'dataschema',
        'sourceseq',
        'data',
      ].sort(),
    );
    expect(Object.keys(base()).sort()).toEqual(
      ENVELOPE_ATTRIBUTES.filter((name) => name !== 'dataschema').sort(),
    );
  });

  it('names the bus headers of DESIGN.md §2', () => {
    expect(HEADERS).toEqual({
      msgId: 'Nats-Msg-Id',
      type: 'ce-type',
      source: 'ce-source',
      id: 'ce-id',
    });
  });
});

describe('decode: subject (the partition key)', () => {
  it('derives subject from data when absent', () => {
    expect(decoded(without(base(), 'subject')).subject).toBe('exec-1');
    expect(decoded(without(example('agent', 'run_start'), 'subject')).subject).toBe(
      'thread-1.run-1',
    );
    expect(decoded(without(example('canonical', 'RunStarted'), 'subject')).subject).toBe(
      'thread-1.run-1',
    );
    expect(decoded(without(example('engine', 'request_served'), 'subject')).subject).toBe(
      'qwen3-4b',
    );
    expect(decoded(without(example('trace', 'op_start'), 'subject')).subject).toBe('req-1');
    expect(decoded(without(example('pipeline', 'gap'), 'subject')).subject).toBe('node-1');
  });

  it.each([
    ['', 'blank'],
    ['  ', 'blank'],
    [42, 'invalid_type'],
    [['exec-1'], 'invalid_type'],
  ] as const)('rejects subject %p with `%s`', (subject, code) => {
    expect(failures(base({ subject }))).toEqual([{ path: 'subject', code }]);
  });

  it('rejects a subject that is not the key data names', () => {
    expect(failures(base({ subject: 'exec-2' }))).toEqual([
      { path: 'subject', code: 'invalid_value' },
    ]);
    expect(failures(example('agent', 'run_start', { subject: 'thread-1.run-2' }))).toEqual([
      { path: 'subject', code: 'invalid_value' },
    ]);
    expect(failures(example('agent', 'run_start', { subject: 'run-1.thread-1' }))).toEqual([
      { path: 'subject', code: 'invalid_value' },
    ]);
  });

  it.each(['thread-1', 'thread-1.run-1.x', 'thread-1.', '.run-1', 'thread 1.run-1', 'a*.b'])(
    'rejects the malformed two-token subject %p with `invalid_format`',
    (subject) => {
      expect(failures(example('agent', 'run_start', { subject }))).toEqual([
        { path: 'subject', code: 'invalid_format' },
      ]);
      expect(failures(example('canonical', 'RunStarted', { subject }))).toEqual([
        { path: 'subject', code: 'invalid_format' },
      ]);
    },
  );

  it.each(['~.run-1', 'thread-1.~!!', '~Zm9v!!YmFy.run-1'])(
    'rejects the two-token subject %p with `invalid_format` (decode never throws)',
    (subject) => {
      expect(failures(example('agent', 'run_start', { subject }))).toEqual([
        { path: 'subject', code: 'invalid_format' },
      ]);
    },
  );

  it('rejects a key that is not well-formed Unicode at the field that holds it', () => {
    // Refused as unstorable (storable.ts) before a subject is derived from it.
    const envelope = base();
    delete envelope['subject'];
    (envelope['data'] as Record<string, unknown>)['execution_id'] = 'exec-\ud800';
    expect(failures(envelope)).toEqual([{ path: 'data.execution_id', code: 'invalid_value' }]);
  });

  it('rejects a needlessly encoded token: each key has exactly one token', () => {
    // "~dGhyZWFkLTE" is base64url("thread-1"), whose token is "thread-1".
    expect(failures(example('agent', 'run_start', { subject: '~dGhyZWFkLTE.run-1' }))).toEqual([
      { path: 'subject', code: 'invalid_format' },
    ]);
  });

  it('takes the subject of a single-key family as the raw key, dots included', () => {
    const envelope = example('trace', 'op_start');
    envelope.data['request_id'] = 'req.1 *';
    const event = decoded(without(envelope, 'subject'));
    expect(event.subject).toBe('req.1 *');
    expect(decoded({ ...envelope, subject: 'req.1 *' }).subject).toBe('req.1 *');
    expect(eventSubject(event)).toBe(
      `events.trace.~${Buffer.from('req.1 *').toString('base64url')}`,
    );
  });

  it('encodes a two-part key with dots into two tokens', () => {
    const envelope = example('agent', 'text_delta');
    envelope.data['thread_id'] = 'thread.1';
    envelope.data['run_id'] = 'run 2';
    const event = decoded(without(envelope, 'subject'));
    expect(event.subject).toBe('~dGhyZWFkLjE.~cnVuIDI');
    expect(eventSubject(event)).toBe('events.agent.~dGhyZWFkLjE.~cnVuIDI');
    expect(JSON.parse(JSON.stringify(encode(event)))).toEqual({
      ...envelope,
      subject: '~dGhyZWFkLjE.~cnVuIDI',
    });
  });

  it('requires subject when data names no key (engine_error without model, decisions D4)', () => {
    const envelope = example('engine', 'engine_error');
    delete envelope.data['model'];
    expect(failures(without(envelope, 'subject'))).toEqual([{ path: 'subject', code: 'required' }]);
    const result = decode(without(envelope, 'subject'));
    expect(result.ok ? '' : result.errors[0]?.message).toBe(
      'subject is required when data names no key',
    );
    const event = decoded({ ...envelope, subject: 'meta-llama/Llama-3.1-8B' });
    expect(event.subject).toBe('meta-llama/Llama-3.1-8B');
    expect(eventSubject(event)).toBe('events.engine.~bWV0YS1sbGFtYS9MbGFtYS0zLjEtOEI');
  });

  it('requires subject for a canonical fact without both scopes', () => {
    const envelope = example('canonical', 'RunStarted');
    envelope.data['scopes'] = [{ type: 'run', id: 'run-1' }];
    expect(failures(without({ ...envelope }, 'subject'))).toEqual([
      { path: 'subject', code: 'required' },
    ]);
    expect(decoded(envelope).subject).toBe('thread-1.run-1');
  });

  it('does not add a subject error when data already failed', () => {
    const envelope = without(base(), 'subject');
    delete envelope.data['execution_id'];
    expect(failures(envelope)).toEqual([{ path: 'data.execution_id', code: 'required' }]);
  });
});

describe('decode: the typed event', () => {
  it('is { family, kind, id, source, time, subject, sourceseq?, data } (DESIGN.md §2)', () => {
    const envelope = base();
    expect(decoded(envelope)).toEqual({
      family: 'lease_history',
      kind: 'acquired',
      id: 'lease_history-acquired-1',
      source: 'example/producer@host-1',
      time: '2026-11-23T10:00:00.000Z',
      subject: 'exec-1',
      sourceseq: 1,
      data: envelope.data,
    });
  });

  it('reports every failing attribute and field at once, in one call', () => {
    const envelope = base({
      specversion: '0.3',
      id: '',
      source: 5,
      time: 'soon',
      datacontenttype: 'text/plain',
      sourceseq: -2,
      subject: ' ',
      traceparent: '00-abc',
    });
    envelope.data = { execution_id: 3, worker: 'w' };
    const found = failures(envelope);
    expect(found).toEqual(
      expect.arrayContaining<Failure>([
        { path: 'traceparent', code: 'invalid_format' },
        { path: 'specversion', code: 'invalid_value' },
        { path: 'id', code: 'blank' },
        { path: 'source', code: 'invalid_type' },
        { path: 'time', code: 'invalid_format' },
        { path: 'datacontenttype', code: 'invalid_value' },
        { path: 'sourceseq', code: 'out_of_range' },
        { path: 'subject', code: 'blank' },
        { path: 'data.execution_id', code: 'invalid_type' },
        { path: 'data.at', code: 'required' },
        { path: 'data.worker', code: 'unknown_property' },
      ]),
    );
    expect(found).toHaveLength(11);
  });

  it('never throws on hostile input', () => {
    const hostile: unknown[] = [
      Object.create(null) as object,
      { ...base(), data: Object.create(null) as object },
      { ...base(), data: { ['__proto__']: { polluted: true } } },
      JSON.parse('{"type":"runlog.lease_history.acquired","data":{"__proto__":{"x":1}}}'),
      { ...base(), type: 'runlog.__proto__.constructor' },
      { ...base(), data: { execution_id: { toString: 'x' }, at: [] } },
    ];
    for (const input of hostile) expect(() => decode(input)).not.toThrow();
    expect(({} as Json)['polluted']).toBeUndefined();
  });
});

/** A typed pipeline gap, the event the encode tests write. */
const GAP: RunlogEvent = {
  family: 'pipeline',
  kind: 'gap',
  id: 'gap-1',
  source: 'pipeline/node-1',
  time: '2026-11-23T10:00:00Z',
  subject: 'node-1',
  data: { node_id: 'node-1', from_id: 3, to_id: 5 },
};

describe('encodeBytes', () => {
  const event: RunlogEvent = { ...GAP, id: 'gap-ü' }; // not ASCII: bytes are not characters

  it('is the UTF-8 JSON of the envelope', () => {
    expect(Buffer.from(encodeBytes({ ...event })).toString('utf8')).toBe(
      JSON.stringify(encode(event)),
    );
  });

  it('serializes once for an event it was asked to remember, and only then', () => {
    const kept = { ...event };
    const first = encodeBytes(kept, { remember: true });
    expect(encodeBytes(kept)).toBe(first);
    const passing = { ...event };
    expect(encodeBytes(passing)).not.toBe(encodeBytes(passing));
    expect(encodeBytes(passing)).toEqual(first);
  });
});

describe('encode', () => {
  it('writes the structured-mode envelope of a typed event', () => {
    const event = GAP;
    expect(encode(event)).toEqual({
      specversion: '1.0',
      id: 'gap-1',
      source: 'pipeline/node-1',
      type: 'runlog.pipeline.gap',
      time: '2026-11-23T10:00:00Z',
      subject: 'node-1',
      datacontenttype: 'application/json',
      data: { node_id: 'node-1', from_id: 3, to_id: 5 },
    });
    expect(Object.keys(encode(event))).not.toContain('sourceseq');
    expect(encode({ ...event, sourceseq: 0 }).sourceseq).toBe(0);
    expect(decode(encode(event))).toEqual({ ok: true, value: event });
  });

  it('writes an {other} outcome back as the raw string', () => {
    const event: RunlogEvent = {
      family: 'completion',
      kind: 'completed',
      id: 'c-1',
      source: 's',
      time: '2026-11-23T10:00:00Z',
      subject: 'exec-1',
      data: { execution_id: 'exec-1', outcome: { other: 'timed_out' }, at: 0 },
    };
    expect(encode(event).data).toEqual({ execution_id: 'exec-1', outcome: 'timed_out', at: 0 });
    expect(decode(encode(event))).toEqual({ ok: true, value: event });
  });

  it('gives the stored subject of an event (events.<family>.<key tokens>)', () => {
    expect(eventSubject({ family: 'lease_history', subject: 'exec-1' })).toBe(
      'events.lease_history.exec-1',
    );
    expect(eventSubject({ family: 'canonical', subject: 'thread-1.run-1' })).toBe(
      'events.canonical.thread-1.run-1',
    );
    expect(eventSubject({ family: 'engine', subject: 'qwen3.5' })).toBe(
      'events.engine.~cXdlbjMuNQ',
    );
    expect(() => eventSubject({ family: 'agent', subject: 'no-run' })).toThrow(RangeError);
  });
});

describe('decodeStored', () => {
  const stored = () => JSON.parse(JSON.stringify(encode(decoded(base())))) as Envelope;

  it('reads back what encode wrote', () => {
    expect(decodeStored(stored())).toEqual({ ok: true, value: decoded(base()) });
  });

  it('skips the per-field schema (decisions D10)', () => {
    const envelope = stored();
    envelope.data = { anything: true };
    expect(decodeStored(envelope)).toMatchObject({ ok: true, value: { data: { anything: true } } });
    expect(decode(envelope).ok).toBe(false);
  });

  it.each(['id', 'source', 'time', 'subject'])('requires a non-blank string %s', (name) => {
    expect(decodeStored(without(stored(), name))).toMatchObject({
      ok: false,
      errors: [{ path: name, code: 'required' }],
    });
    expect(decodeStored({ ...stored(), [name]: ' ' })).toMatchObject({
      ok: false,
      errors: [{ path: name, code: 'blank' }],
    });
    expect(decodeStored({ ...stored(), [name]: 9 })).toMatchObject({
      ok: false,
      errors: [{ path: name, code: 'invalid_type' }],
    });
  });

  it.each([
    ['runlog.lease_history.nope', 'unknown_kind'],
    ['runlog.nope.acquired', 'unknown_family'],
    ['lease_history.acquired', 'invalid_format'],
    [7, 'invalid_format'],
  ] as const)('rejects type %p with `%s`', (type, code) => {
    expect(decodeStored({ ...stored(), type })).toMatchObject({
      ok: false,
      errors: [{ path: 'type', code }],
    });
  });

  it('rejects a non-object data and a non-integer sourceseq', () => {
    expect(decodeStored({ ...stored(), data: [] })).toMatchObject({
      ok: false,
      errors: [{ path: 'data', code: 'invalid_type' }],
    });
    expect(decodeStored({ ...stored(), sourceseq: 1.5 })).toMatchObject({
      ok: false,
      errors: [{ path: 'sourceseq', code: 'invalid_type' }],
    });
    expect(decodeStored('x')).toMatchObject({
      ok: false,
      errors: [{ path: '', code: 'invalid_type' }],
    });
  });

  it('maps an unknown stored signal effect to {other}', () => {
    const envelope = example('signal_delivery', 'delivered');
    envelope.data['effect'] = 'rerouted';
    expect(decodeStored(envelope)).toMatchObject({
      ok: true,
      value: { data: { effect: { other: 'rerouted' } } },
    });
  });
});
