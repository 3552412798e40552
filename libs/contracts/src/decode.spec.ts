import { decode, decodeStored, encode, eventSubject } from './decode';
import { ALL_KINDS, exampleData, exampleEvent } from './examples';
import { type Family, type KindOf } from './families';
import { type ValidationError } from './validation-error';

// Every kind of every family (DESIGN.md §3): valid examples round-trip, every field of the
// example is checked for missing / mistyped / blank, and errors name the field by path.

type Envelope = Record<string, unknown> & { data: Record<string, unknown> };

function example(family: Family, kind: string, overrides: Record<string, unknown> = {}): Envelope {
  return { ...exampleEvent(family, kind as KindOf<Family>), ...overrides } as Envelope;
}

function errorsOf(input: unknown): ValidationError[] {
  const result = decode(input);
  return result.ok ? [] : result.errors;
}

function codesAt(input: unknown, path: string): string[] {
  return errorsOf(input)
    .filter((e) => e.path === path)
    .map((e) => e.code);
}

/** Fields a kind's example may drop and still decode (optional by DESIGN.md §3). */
const OPTIONAL: Readonly<Record<string, readonly string[]>> = {
  'engine.engine_error': ['model'],
  'lease_history.acquired': ['lease_id', 'worker_instance_id'],
  'lease_history.renewed': ['lease_id', 'worker_instance_id'],
  'lease_history.expired': ['lease_id', 'prev_owner'],
  'lease_history.reclaimed': ['new_lease_id', 'new_owner'],
  'lease_history.revoked': ['lease_id'],
  'signal_delivery.delivered': ['waitpoint_id', 'source_identity'],
  'agent.run_start': ['parent_run_id'],
  'agent.run_finish': ['reason'],
};

describe.each(ALL_KINDS)('$family.$kind', ({ family, kind }) => {
  const name = `${family}.${kind}`;

  it('decodes its example and encodes it back unchanged', () => {
    const envelope = example(family, kind);
    const result = decode(JSON.parse(JSON.stringify(envelope)));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value).toMatchObject({ family, kind, id: envelope.id });
    expect(JSON.parse(JSON.stringify(encode(result.value)))).toEqual(envelope);
    const stored = decodeStored(JSON.parse(JSON.stringify(encode(result.value))));
    expect(stored).toEqual(result);
    expect(eventSubject(result.value)).toMatch(new RegExp(`^events\\.${family}\\.[^.*> ]+`));
  });

  const fields = Object.keys(exampleData(family, kind as KindOf<Family>));

  it.each(fields)('requires data.%s unless it is optional', (field) => {
    const envelope = example(family, kind);
    delete envelope.data[field];
    const errors = errorsOf(envelope);
    if ((OPTIONAL[name] ?? []).includes(field) || isFreeForm(family, kind, field)) {
      expect(errors).toEqual([]);
    } else {
      expect(errors).toContainEqual(
        expect.objectContaining({ path: `data.${field}`, code: 'required' }),
      );
    }
  });

  it.each(fields)('rejects a boolean in data.%s with its path', (field) => {
    if (isFreeForm(family, kind, field)) return; // payload slots of open kinds take any JSON
    const envelope = example(family, kind);
    envelope.data[field] = true;
    expect(codesAt(envelope, `data.${field}`)).toEqual(['invalid_type']);
  });

  const strings = fields.filter(
    (field) => typeof exampleData(family, kind as KindOf<Family>)[field] === 'string',
  );
  if (strings.length > 0) {
    it.each(strings)('rejects a blank data.%s', (field) => {
      if (isFreeForm(family, kind, field)) return;
      for (const blank of ['', '   ']) {
        const envelope = example(family, kind);
        envelope.data[field] = blank;
        const codes = codesAt(envelope, `data.${field}`);
        expect(codes).toHaveLength(1);
        expect(['blank', 'invalid_format', 'invalid_value']).toContain(codes[0]); // closed enums: not one of the values
      }
    });
  }
});

/** Agent kinds without a fixed payload keep extra fields (decisions D5); their extras are free. */
function isFreeForm(family: Family, kind: string, field: string): boolean {
  if (family !== 'agent') return false;
  return !['thread_id', 'run_id'].includes(field) && !FIXED_AGENT.has(`${kind}.${field}`);
}
const FIXED_AGENT = new Set([
  'run_start.parent_run_id',
  'run_finish.termination',
  'run_finish.reason',
  'tool_call_done.call_id',
  'tool_call_done.outcome',
  'tool_call_done.result',
]);

describe('decode: the envelope (DESIGN.md §2)', () => {
  const base = () => example('lease_history', 'acquired');

  it.each(['specversion', 'id', 'source', 'type', 'data'])('requires %s', (attribute) => {
    const envelope = base();
    delete envelope[attribute];
    expect(codesAt(envelope, attribute)).toEqual(['required']);
  });

  it('fills time with the receive time and derives subject from data when absent', () => {
    const envelope = base();
    delete envelope['time'];
    delete envelope['subject'];
    const receivedAt = new Date('2026-11-23T12:00:00Z');
    const result = decode(envelope, { receivedAt });
    expect(result.ok && result.value.time).toBe(receivedAt.toISOString());
    expect(result.ok && result.value.subject).toBe('exec-1');
  });

  it.each([
    ['specversion', '0.3', 'invalid_value'],
    ['id', '  ', 'blank'],
    ['id', 7, 'invalid_type'],
    ['source', '', 'blank'],
    ['time', 'yesterday', 'invalid_format'],
    ['time', 1700000000, 'invalid_type'],
    ['datacontenttype', 'text/plain', 'invalid_value'],
    ['sourceseq', -1, 'invalid_type'],
    ['sourceseq', 1.5, 'invalid_type'],
    ['subject', 'exec-2', 'invalid_value'],
    ['type', 'lease_history.acquired', 'invalid_format'],
    ['type', 'runlog.nope.acquired', 'unknown_family'],
    ['type', 'runlog.lease_history.nope', 'unknown_kind'],
    ['data', [1], 'invalid_type'],
    ['data', 'x', 'invalid_type'],
  ])('rejects %s = %j with %s', (attribute, value, code) => {
    expect(codesAt({ ...base(), [attribute]: value }, attribute)).toContain(code);
  });

  it('rejects an unknown top-level attribute and a non-object event', () => {
    expect(codesAt({ ...base(), traceparent: 'x' }, 'traceparent')).toEqual(['unknown_property']);
    expect(errorsOf([base()])).toEqual([expect.objectContaining({ code: 'invalid_type' })]);
    expect(errorsOf(null)).toEqual([expect.objectContaining({ code: 'invalid_type' })]);
  });

  it('reports every failing field at once, never throws', () => {
    const envelope = { ...base(), id: '', time: 'soon' };
    envelope.data = { execution_id: 3 };
    const paths = errorsOf(envelope).map((e) => `${e.path}:${e.code}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'id:blank',
        'time:invalid_format',
        'data.execution_id:invalid_type',
        'data.at:required',
      ]),
    );
  });
});

describe('decode: data rules', () => {
  it('rejects unknown properties of closed kinds and keeps them on open ones', () => {
    const closed = example('lease_history', 'acquired');
    closed.data['worker'] = 'w';
    expect(codesAt(closed, 'data.worker')).toEqual(['unknown_property']);

    const open = example('trace', 'group_start');
    (open.data['payload'] as Record<string, unknown>)['attempt_note'] = 'kept';
    const result = decode(open);
    expect(result.ok).toBe(true);
    expect(result.ok && (result.value.data as { payload: object }).payload).toMatchObject({
      attempt_note: 'kept',
    });

    const agent = example('agent', 'text_delta');
    agent.data['extra'] = { any: 'json' };
    expect(decode(agent).ok).toBe(true);
  });

  it('names nested paths (array elements of canonical scopes)', () => {
    const envelope = example('canonical', 'TextDeltaObserved');
    (envelope.data['scopes'] as Record<string, unknown>[])[0]!['type'] = 5;
    expect(errorsOf(envelope).map((e) => e.path)).toContain('data.scopes[0].type');
  });

  it.each([
    ['completion', 'completed', 'outcome', 'success', 'timed_out'],
    ['signal_delivery', 'delivered', 'effect', 'buffered', 'rerouted'],
  ] as const)(
    'decodes an unknown %s %s.%s to {other} and encodes it back',
    (family, kind, field, known, unknown) => {
      const envelope = example(family, kind);
      envelope.data[field] = unknown;
      const result = decode(envelope);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect((result.value.data as Record<string, unknown>)[field]).toEqual({ other: unknown });
      expect(encode(result.value).data).toMatchObject({ [field]: unknown });

      envelope.data[field] = known;
      const plain = decode(envelope);
      expect(plain.ok && (plain.value.data as Record<string, unknown>)[field]).toBe(known);

      envelope.data[field] = ' ';
      expect(codesAt(envelope, `data.${field}`)).toEqual(['blank']);
    },
  );

  it.each([99, 600, 200.5])('rejects request_served status_code %p', (statusCode) => {
    const envelope = example('engine', 'request_served');
    envelope.data['status_code'] = statusCode;
    const codes = codesAt(envelope, 'data.status_code');
    expect(codes).toHaveLength(1);
    expect(['out_of_range', 'invalid_type']).toContain(codes[0]);
  });

  it('accepts status_code 100 and 599 and never defaults a missing one', () => {
    for (const statusCode of [100, 599]) {
      const envelope = example('engine', 'request_served');
      envelope.data['status_code'] = statusCode;
      expect(decode(envelope).ok).toBe(true);
    }
    const missing = example('engine', 'request_served');
    delete missing.data['status_code'];
    expect(codesAt(missing, 'data.status_code')).toEqual(['required']);
  });

  it('requires subject when data names no key (engine_error without model)', () => {
    const envelope = example('engine', 'engine_error');
    delete envelope.data['model'];
    delete envelope['subject'];
    expect(codesAt(envelope, 'subject')).toEqual(['required']);
    const keyed = decode({ ...envelope, subject: 'qwen3-4b' });
    expect(keyed.ok && keyed.value.subject).toBe('qwen3-4b');
  });

  it('requires canonical data.kind to equal the kind of type', () => {
    const envelope = example('canonical', 'TextDeltaObserved');
    envelope.data['kind'] = 'RunStarted';
    expect(codesAt(envelope, 'data.kind')).toContain('invalid_value');
  });
});

describe('decode: the engine confidentiality rule', () => {
  it.each(['prompt', 'response_text', 'messages', 'completionTokens', 'output'])(
    'rejects data.%s with its own code',
    (field) => {
      const envelope = example('engine', 'request_served');
      envelope.data[field] = 'x';
      expect(codesAt(envelope, `data.${field}`)).toEqual(['confidentiality_violation']);
    },
  );

  it('looks at every depth and at top-level attributes', () => {
    const envelope = example('engine', 'engine_error');
    envelope.data['kind'] = 'oom';
    envelope['prompt'] = 'hello';
    expect(codesAt(envelope, 'prompt')).toEqual(['confidentiality_violation']);
  });

  it('does not flag benign names, and only engine events', () => {
    const benign = example('engine', 'request_served');
    expect(decode(benign).ok).toBe(true);
    const trace = example('trace', 'annotation');
    (trace.data['payload'] as Record<string, unknown>)['value'] = 'the prompt was long';
    expect(decode(trace).ok).toBe(true);
  });
});

describe('decodeStored', () => {
  it('checks the structure only and reports what is missing', () => {
    const stored = encode(
      (decode(example('trace', 'op_start')) as { ok: true; value: never }).value,
    );
    const mistyped = { ...stored, data: { ...(stored.data as object), seq: 'seven' } };
    expect(decodeStored(mistyped).ok).toBe(true);
    expect(decode(mistyped).ok).toBe(false);
    const broken = decodeStored({ ...stored, subject: undefined, type: 'runlog.trace.nope' });
    expect(broken.ok ? [] : broken.errors.map((e) => `${e.path}:${e.code}`)).toEqual([
      'type:unknown_kind',
      'subject:required',
    ]);
  });
});
