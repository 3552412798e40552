import { plainToInstance } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';
import { decode, decodeStored, encode } from './decode';
import { ALL_KINDS, exampleData, exampleEvent } from './examples';
import { type Family, KINDS, type KindOf } from './families';
import { schemaOf } from './families/schemas';
import { type ValidationCode } from './validation-error';
import { CONSTRAINTS } from './validation/decorators';

// Every kind of every family (DESIGN.md §3). The fields under test are read from each
// kind's schema class (class-validator metadata), so a field added to a schema is covered
// without editing this file; a few paths are also checked by hand at the end.

type Json = Record<string, unknown>;
type Envelope = Json & { data: Json };
type Segment = string | number;
type Failure = { readonly path: string; readonly code: ValidationCode };

type Rule =
  | 'string'
  | 'one_of'
  | 'int'
  | 'number'
  | 'instant'
  | 'object'
  | 'nested'
  | 'nested_array'
  | 'strings'
  | 'cursor'
  | 'any';

/** One declared field of a kind's schema, located in an envelope built from its example. */
interface Field {
  /** The path decode names in its errors: `data.scopes[0].type`. */
  readonly path: string;
  /** Where the field sits in the envelope: `['data', 'scopes', 0, 'type']`. */
  readonly at: readonly Segment[];
  readonly rule: Rule;
  readonly required: boolean;
  readonly notBlank: boolean;
  /** The closed set of a `one_of` field. */
  readonly values: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Whether the kind's example carries the field. */
  readonly present: boolean;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function pathOf(at: readonly Segment[]): string {
  return at
    .map((segment, index) =>
      typeof segment === 'number' ? `[${String(segment)}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('');
}

function ruleOf(names: ReadonlySet<string>): Rule {
  if (names.has('isIn')) return 'one_of';
  if (names.has('isInt')) return 'int';
  if (names.has('isNumber')) return 'number';
  if (names.has(CONSTRAINTS.timestampType)) return 'instant';
  if (names.has('nestedValidation')) return names.has('isArray') ? 'nested_array' : 'nested';
  if (names.has(CONSTRAINTS.jsonObject)) return 'object';
  if (names.has(CONSTRAINTS.stringArray)) return 'strings';
  if (names.has(CONSTRAINTS.decimalCursor)) return 'cursor';
  if (names.has(CONSTRAINTS.present)) return 'any';
  if (names.has('isString')) return 'string';
  // A new decorator must get its own rule here, not be skipped in silence.
  throw new Error(`no test rule for constraints ${[...names].join(', ')}`);
}

/** The class class-transformer instantiates for a nested property (`@Type`). */
function nestedClass(cls: new () => object, property: string, sample: unknown): new () => object {
  const value = (plainToInstance(cls, { [property]: sample }) as Json)[property];
  const nested: unknown = Array.isArray(value) ? value[0] : value;
  return (nested as object).constructor as new () => object;
}

/** Every declared field of `cls` (and of its nested classes, where `value` has them). */
function fieldsOf(cls: new () => object, value: unknown, at: readonly Segment[]): Field[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const byProperty = new Map<string, typeof metadata>();
  for (const entry of metadata) {
    byProperty.set(entry.propertyName, [...(byProperty.get(entry.propertyName) ?? []), entry]);
  }
  const data = isObject(value) ? value : {};
  return [...byProperty].flatMap(([property, entries]) => {
    const names = new Set(entries.map((entry) => entry.name ?? entry.type));
    const bound = (name: string): number | undefined => {
      const entry = entries.find((candidate) => candidate.name === name);
      return entry ? ((entry.constraints as unknown[])[0] as number) : undefined;
    };
    const here = [...at, property];
    const rule = ruleOf(names);
    const values =
      rule === 'one_of'
        ? ((
            entries.find((entry) => entry.name === 'isIn')?.constraints as unknown[]
          )[0] as string[])
        : [];
    const min = bound('min');
    const max = bound('max');
    const field: Field = {
      path: pathOf(here),
      at: here,
      rule,
      required:
        (names.has('isDefined') || names.has(CONSTRAINTS.present)) && !names.has('isOptional'),
      notBlank: names.has(CONSTRAINTS.notBlank),
      values,
      ...(min === undefined ? {} : { min }),
      ...(max === undefined ? {} : { max }),
      present: data[property] !== undefined,
    };
    const child = data[property];
    const nested: Field[] = [];
    if (rule === 'nested' && isObject(child)) {
      nested.push(...fieldsOf(nestedClass(cls, property, {}), child, here));
    }
    if (rule === 'nested_array' && Array.isArray(child)) {
      const itemClass = nestedClass(cls, property, [{}]);
      child.forEach((item, index) => nested.push(...fieldsOf(itemClass, item, [...here, index])));
    }
    return [field, ...nested];
  });
}

/** Every declared field of a kind: its data class, then its payload class (trace). */
function fieldsOfKind(family: Family, kind: string): Field[] {
  const schema = schemaOf(family, kind);
  const data = exampleData(family, kind as KindOf<Family>);
  return [
    ...fieldsOf(schema.cls, data, ['data']),
    ...(schema.payload ? fieldsOf(schema.payload.cls, data['payload'], ['data', 'payload']) : []),
  ];
}

function example(family: Family, kind: string): Envelope {
  return json(exampleEvent(family, kind as KindOf<Family>)) as unknown as Envelope;
}

function nodeAt(root: Json, at: readonly Segment[]): Record<Segment, unknown> {
  let node: unknown = root;
  for (const segment of at) node = (node as Record<Segment, unknown>)[segment];
  return node as Record<Segment, unknown>;
}

function withValue(envelope: Envelope, at: readonly Segment[], value: unknown): Envelope {
  nodeAt(envelope, at.slice(0, -1))[at[at.length - 1]!] = value;
  return envelope;
}

function without(envelope: Envelope, at: readonly Segment[]): Envelope {
  delete nodeAt(envelope, at.slice(0, -1))[at[at.length - 1]!];
  return envelope;
}

function failures(input: unknown): Failure[] {
  const result = decode(input);
  return result.ok ? [] : result.errors.map(({ path, code }) => ({ path, code }));
}

/** Values of the wrong JSON type for a rule (each must give `invalid_type`). */
const MISTYPED: Readonly<Record<Rule, readonly unknown[]>> = {
  string: [42, true, ['x'], {}],
  one_of: [42, false, {}],
  cursor: [42, true],
  int: ['42', 1.5, true],
  number: ['42', true, {}],
  instant: [true, {}, ['2026-11-23T10:00:00Z']],
  object: ['x', 42, [], ['x']],
  nested: ['x', 42, []],
  nested_array: ['x', 42],
  strings: ['main', [1], ['main', null]],
  any: [],
};

/** The code a blank string gets, by rule (`undefined`: a blank string is accepted). */
function blankCode(field: Field): ValidationCode | undefined {
  if (field.rule === 'string') return field.notBlank ? 'blank' : undefined;
  if (field.rule === 'one_of') return 'invalid_value';
  if (field.rule === 'cursor' || field.rule === 'instant') return 'invalid_format';
  if (field.rule === 'any') return undefined;
  return 'invalid_type';
}

const OPEN_ENUMS: Readonly<Record<string, readonly [string, readonly string[]]>> = {
  'completion.completed': ['outcome', ['success', 'failure', 'cancelled']],
  'signal_delivery.delivered': ['effect', ['satisfied', 'buffered', 'deduped']],
};

/**
 * Kinds with a rule across fields (a schema's `check`): moves the other fields so that a
 * field at one of its own bounds keeps the envelope valid (the rule is tested by hand).
 */
const ACROSS_FIELDS: Readonly<Record<string, (envelope: Envelope, path: string) => Envelope>> = {
  'producer.gap': (envelope, path) => {
    const data = envelope.data as { from_sourceseq: number; to_sourceseq: number; dropped: number };
    if (path === 'data.dropped') {
      data.from_sourceseq = 0;
      data.to_sourceseq = data.dropped - 1;
    } else {
      data.from_sourceseq = Math.min(data.from_sourceseq, data.to_sourceseq);
      data.to_sourceseq = Math.max(data.from_sourceseq, data.to_sourceseq);
      data.dropped = Math.min(data.dropped, data.to_sourceseq - data.from_sourceseq + 1);
    }
    return envelope;
  },
};

const KIND_TABLE = ALL_KINDS.map(({ family, kind }): [string, Family, string] => [
  `${family}.${kind}`,
  family,
  kind,
]);

describe.each(KIND_TABLE)('%s', (_name, family, kind) => {
  const schema = schemaOf(family, kind);
  const fields = fieldsOfKind(family, kind);
  const present = fields.filter((field) => field.present);
  const required = present.filter((field) => field.required);
  const optional = present.filter((field) => !field.required);
  const table = (list: readonly Field[]): [string, Field][] =>
    list.map((field): [string, Field] => [field.path, field]);

  it('decodes its example to the typed event and encodes it back unchanged', () => {
    const envelope = example(family, kind);
    const result = decode(envelope);
    expect(result).toEqual({
      ok: true,
      value: {
        family,
        kind,
        id: envelope['id'],
        source: envelope['source'],
        time: envelope['time'],
        subject: envelope['subject'],
        sourceseq: envelope['sourceseq'],
        data: envelope.data,
      },
    });
    if (!result.ok) return;
    const encoded = json(encode(result.value));
    expect(encoded).toEqual(envelope);
    expect(decode(encoded)).toEqual(result);
    expect(decodeStored(encoded)).toEqual(result);
  });

  it('decodes from the minimal envelope: no time, subject, datacontenttype or sourceseq', () => {
    const envelope = example(family, kind);
    for (const name of ['time', 'subject', 'datacontenttype', 'sourceseq']) delete envelope[name];
    const receivedAt = new Date('2026-12-01T08:00:00.000Z');
    const result = decode(envelope, { receivedAt });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.time).toBe('2026-12-01T08:00:00.000Z');
    expect(result.value.subject).toBe(example(family, kind)['subject']);
    expect('sourceseq' in result.value).toBe(false);
    expect(json(encode(result.value))).toEqual({
      ...example(family, kind),
      time: '2026-12-01T08:00:00.000Z',
      sourceseq: undefined,
    });
  });

  it('has an example that carries every required field of its schema', () => {
    expect(fields.filter((field) => field.required && !field.present)).toEqual([]);
    expect(required.length).toBeGreaterThan(0);
  });

  it('declares every field its example carries (closed kinds)', () => {
    if (schema.open) return; // open kinds may carry anything
    const declared = new Set(fields.map((field) => field.path));
    const carried = Object.keys(exampleData(family, kind as KindOf<Family>)).map(
      (k) => `data.${k}`,
    );
    expect(carried.filter((path) => !declared.has(path))).toEqual([]);
  });

  it.each(table(required))('requires %s: missing or null gives `required`', (path, field) => {
    expect(failures(without(example(family, kind), field.at))).toEqual([
      { path, code: 'required' },
    ]);
    if (field.rule !== 'any') {
      expect(failures(withValue(example(family, kind), field.at, null))).toEqual([
        { path, code: 'required' },
      ]);
    }
    const result = decode(without(example(family, kind), field.at));
    const message = result.ok ? '' : (result.errors[0]?.message ?? '');
    expect(message).toContain(path);
  });

  if (optional.length > 0) {
    it.each(table(optional))('accepts %s left out (optional)', (_path, field) => {
      const result = decode(without(example(family, kind), field.at));
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
    });
  }

  const typed = fields.filter((field) => MISTYPED[field.rule].length > 0);
  it.each(table(typed))('rejects %s of the wrong JSON type with `invalid_type`', (path, field) => {
    for (const value of MISTYPED[field.rule]) {
      expect([value, failures(withValue(example(family, kind), field.at, value))]).toEqual([
        value,
        [{ path, code: 'invalid_type' }],
      ]);
    }
  });

  it.each(table(fields))('gives %s a blank string the code of its rule', (path, field) => {
    const code = blankCode(field);
    for (const blank of ['', '   ', '\t\n']) {
      expect([blank, failures(withValue(example(family, kind), field.at, blank))]).toEqual([
        blank,
        code === undefined ? [] : [{ path, code }],
      ]);
    }
  });

  const strings = fields.filter((field) => field.rule === 'string' && field.notBlank);
  if (strings.length > 0) {
    it.each(table(strings))('rejects a blank %s with `blank`', (path, field) => {
      expect(failures(withValue(example(family, kind), field.at, ''))).toEqual([
        { path, code: 'blank' },
      ]);
      expect(failures(withValue(example(family, kind), field.at, '   '))).toEqual([
        { path, code: 'blank' },
      ]);
    });
  }

  const ranged = present.filter((field) => field.min !== undefined);
  if (ranged.length > 0) {
    it.each(table(ranged))('keeps %s within its bounds (`out_of_range`)', (path, field) => {
      const min = field.min!;
      const below = field.rule === 'int' ? min - 1 : min - 0.001;
      const outside = [below, ...(field.max === undefined ? [] : [field.max + 1])];
      for (const value of outside) {
        expect([value, failures(withValue(example(family, kind), field.at, value))]).toEqual([
          value,
          [{ path, code: 'out_of_range' }],
        ]);
      }
      for (const value of [min, ...(field.max === undefined ? [] : [field.max])]) {
        const envelope = withValue(example(family, kind), field.at, value);
        const result = decode(
          ACROSS_FIELDS[`${family}.${kind}`]?.(envelope, field.path) ?? envelope,
        );
        expect([value, result.ok]).toEqual([value, true]);
      }
    });
  }

  const closedSets = present.filter((field) => field.rule === 'one_of');
  if (closedSets.length > 0) {
    it.each(table(closedSets))(
      'accepts each value of the closed set %s and rejects others with `invalid_value`',
      (path, field) => {
        expect(field.values.length).toBeGreaterThan(0);
        for (const value of field.values) {
          const result = decode(withValue(example(family, kind), field.at, value));
          if (!result.ok) throw new Error(`${value}: ${JSON.stringify(result.errors)}`);
          expect(nodeAt(result.value.data as unknown as Json, field.at.slice(1))).toBe(value);
        }
        for (const value of ['not_a_known_value', field.values[0]!.toUpperCase(), ' x ']) {
          expect([value, failures(withValue(example(family, kind), field.at, value))]).toEqual([
            value,
            [{ path, code: 'invalid_value' }],
          ]);
        }
      },
    );
  }

  it(`${schema.open ? 'keeps' : 'rejects'} an unknown property of data`, () => {
    const envelope = withValue(example(family, kind), ['data', 'zz_extra'], { any: ['json'] });
    if (!schema.open) {
      expect(failures(envelope)).toEqual([{ path: 'data.zz_extra', code: 'unknown_property' }]);
      return;
    }
    const result = decode(envelope);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect((result.value.data as unknown as Json)['zz_extra']).toEqual({ any: ['json'] });
    expect(json(encode(result.value)).data).toEqual(envelope.data);
  });

  const nestedObjects = present.filter(
    (field) =>
      field.rule === 'nested' || (field.rule === 'object' && field.path === 'data.payload'),
  );
  const nestedItems = present
    .filter((field) => field.rule === 'nested_array')
    .flatMap((field) => {
      const items = nodeAt(example(family, kind), field.at) as unknown as unknown[];
      return items.map((_item, index) => ({ ...field, at: [...field.at, index] }));
    });
  const containers = [...nestedObjects, ...nestedItems].map((field) => ({
    ...field,
    path: pathOf(field.at),
  }));
  if (containers.length > 0) {
    it.each(table(containers))('decides unknown properties inside %s by its schema', (path, c) => {
      const envelope = withValue(example(family, kind), [...c.at, 'zz_extra'], 1);
      // The payload slot follows its own schema (trace); a free-form payload has none.
      const open =
        path === 'data.payload'
          ? schema.payload === undefined || schema.payload.open === true
          : schema.open === true;
      expect(failures(envelope)).toEqual(
        open ? [] : [{ path: `${path}.zz_extra`, code: 'unknown_property' }],
      );
    });
  }

  const openEnum = OPEN_ENUMS[`${family}.${kind}`];
  if (openEnum) {
    const [name, known] = openEnum;
    it.each(known)(`decodes the known ${name} %p as the plain string`, (value) => {
      const envelope = withValue(example(family, kind), ['data', name], value);
      const result = decode(envelope);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect((result.value.data as unknown as Json)[name]).toBe(value);
      expect(json(encode(result.value))).toEqual(envelope);
    });

    it.each(['timed_out', 'SUCCESS', 'Satisfied', 'x', ' success ', 'ünïcödé'])(
      `decodes an unknown ${name} %p to {other: raw}, never an error, and encodes it back`,
      (raw) => {
        const envelope = withValue(example(family, kind), ['data', name], raw);
        const result = decode(envelope);
        if (!result.ok) throw new Error(JSON.stringify(result.errors));
        expect((result.value.data as unknown as Json)[name]).toEqual({ other: raw });
        const encoded = json(encode(result.value));
        expect(encoded).toEqual(envelope);
        expect(decodeStored(encoded)).toEqual(result);
      },
    );

    it(`still rejects a blank or non-string ${name}`, () => {
      const path = `data.${name}`;
      expect(failures(withValue(example(family, kind), ['data', name], ' '))).toEqual([
        { path, code: 'blank' },
      ]);
      expect(failures(withValue(example(family, kind), ['data', name], { other: 'x' }))).toEqual([
        { path, code: 'invalid_type' },
      ]);
    });
  }
});

describe('schemas: what the tests above derive, checked by hand', () => {
  const paths = (family: Family, kind: string, which: (f: Field) => boolean = () => true) =>
    fieldsOfKind(family, kind)
      .filter(which)
      .map((field) => field.path)
      .sort();

  it('reads request_served as DESIGN.md §3 writes it', () => {
    expect(paths('engine', 'request_served')).toEqual(
      ['data.latency_ms', 'data.model', 'data.provider', 'data.route', 'data.status_code'].sort(),
    );
    const statusCode = fieldsOfKind('engine', 'request_served').find(
      (f) => f.path === 'data.status_code',
    );
    expect(statusCode).toMatchObject({ rule: 'int', required: true, min: 100, max: 599 });
  });

  it('reads the optional fields marked `?` in DESIGN.md §3', () => {
    const optional = (family: Family, kind: string) =>
      paths(family, kind, (field) => !field.required);
    expect(optional('engine', 'engine_error')).toEqual(['data.model']);
    expect(optional('lease_history', 'acquired')).toEqual([
      'data.lease_id',
      'data.worker_instance_id',
    ]);
    expect(optional('lease_history', 'reclaimed')).toEqual(['data.new_lease_id', 'data.new_owner']);
    expect(optional('lease_history', 'revoked')).toEqual(['data.lease_id']);
    expect(optional('signal_delivery', 'delivered')).toEqual([
      'data.source_identity',
      'data.waitpoint_id',
    ]);
    expect(optional('trace', 'group_start')).toEqual(['data.op_name']);
    expect(optional('trace', 'op_start')).toEqual([]);
    expect(optional('canonical', 'RunStarted')).toEqual(['data.correlation_id']);
    expect(optional('agent', 'tool_call_done')).toEqual([
      'data.correlation_id',
      'data.result.suspension',
    ]);
    for (const kind of KINDS.agent) {
      expect([kind, optional('agent', kind)]).toEqual([
        kind,
        expect.arrayContaining(['data.correlation_id']),
      ]);
    }
  });

  it('reaches nested fields: canonical scopes and tool_call_done result', () => {
    expect(paths('canonical', 'ToolCallDone')).toEqual(
      expect.arrayContaining([
        'data.scopes',
        'data.scopes[0].type',
        'data.scopes[0].id',
        'data.scopes[1].type',
        'data.scopes[1].id',
        'data.source_cursor',
      ]),
    );
    expect(paths('agent', 'tool_call_done')).toEqual(
      expect.arrayContaining(['data.result', 'data.result.status', 'data.result.metadata']),
    );
    expect(paths('trace', 'op_end')).toEqual(
      expect.arrayContaining([
        'data.payload.outputs',
        'data.payload.status',
        'data.payload.duration_ms',
        'data.payload.yield_count',
      ]),
    );
  });

  it('marks open exactly the kinds DESIGN.md leaves open (decisions D5, trace group_start)', () => {
    const open = ALL_KINDS.filter(({ family, kind }) => schemaOf(family, kind).open).map(
      ({ family, kind }) => `${family}.${kind}`,
    );
    const fixedAgent = ['run_start', 'run_finish', 'tool_call_done'];
    expect(open).toEqual(
      KINDS.agent.filter((kind) => !fixedAgent.includes(kind)).map((kind) => `agent.${kind}`),
    );
    const openPayloads = ALL_KINDS.filter(
      ({ family, kind }) => schemaOf(family, kind).payload?.open,
    ).map(({ family, kind }) => `${family}.${kind}`);
    expect(openPayloads).toEqual(['trace.group_start']);
  });

  it('covers every family and kind of DESIGN.md §3', () => {
    expect(ALL_KINDS).toHaveLength(
      Object.values(KINDS).reduce((total, kinds) => total + kinds.length, 0),
    );
    expect(ALL_KINDS.map(({ family }) => family)).toEqual(
      expect.arrayContaining(Object.keys(KINDS)),
    );
    expect(new Set(ALL_KINDS.map(({ family, kind }) => `${family}.${kind}`)).size).toBe(
      ALL_KINDS.length,
    );
  });
});

describe('field paths, by hand', () => {
  it('names data.status_code when it is missing, mistyped or out of range', () => {
    const missing = without(example('engine', 'request_served'), ['data', 'status_code']);
    expect(failures(missing)).toEqual([{ path: 'data.status_code', code: 'required' }]);
    const mistyped = withValue(example('engine', 'request_served'), ['data', 'status_code'], '200');
    expect(failures(mistyped)).toEqual([{ path: 'data.status_code', code: 'invalid_type' }]);
    const high = withValue(example('engine', 'request_served'), ['data', 'status_code'], 600);
    expect(failures(high)).toEqual([{ path: 'data.status_code', code: 'out_of_range' }]);
  });

  it('names data.scopes[0].type and data.scopes[1].id inside the canonical scopes array', () => {
    const missing = without(example('canonical', 'RunStarted'), ['data', 'scopes', 0, 'type']);
    expect(failures(missing)).toEqual([{ path: 'data.scopes[0].type', code: 'required' }]);
    const mistyped = withValue(
      example('canonical', 'RunStarted'),
      ['data', 'scopes', 0, 'type'],
      5,
    );
    expect(failures(mistyped)).toEqual([{ path: 'data.scopes[0].type', code: 'invalid_type' }]);
    const unknown = withValue(
      example('canonical', 'RunStarted'),
      ['data', 'scopes', 0, 'type'],
      'user',
    );
    expect(failures(unknown)).toEqual([{ path: 'data.scopes[0].type', code: 'invalid_value' }]);
    const blank = withValue(example('canonical', 'RunStarted'), ['data', 'scopes', 1, 'id'], ' ');
    expect(failures(blank)).toEqual([{ path: 'data.scopes[1].id', code: 'blank' }]);
  });

  it('names a non-object scope by its index', () => {
    for (const item of ['thread-1', 7, null]) {
      const envelope = withValue(example('canonical', 'RunStarted'), ['data', 'scopes', 0], item);
      expect(failures(envelope)).toEqual([{ path: 'data.scopes[0]', code: 'invalid_type' }]);
    }
  });

  it('names data.payload.<field> of a trace payload', () => {
    const envelope = without(example('trace', 'llm_usage'), ['data', 'payload', 'total_tokens']);
    expect(failures(envelope)).toEqual([{ path: 'data.payload.total_tokens', code: 'required' }]);
    const negative = withValue(example('trace', 'op_end'), ['data', 'payload', 'duration_ms'], -1);
    expect(failures(negative)).toEqual([
      { path: 'data.payload.duration_ms', code: 'out_of_range' },
    ]);
  });

  it('validates the optional tool_call_done suspension and its nested id', () => {
    const withSuspension = (suspension: unknown) =>
      withValue(example('agent', 'tool_call_done'), ['data', 'result', 'suspension'], suspension);
    const valid = { resume_mode: 'replay_tool_call', suspension: { id: 'perm-1' } };
    expect(failures(withSuspension(valid))).toEqual([]);
    // A blank id is allowed: it only means no permission request (DESIGN.md §3 mapping).
    expect(failures(withSuspension({ ...valid, suspension: { id: '' } }))).toEqual([]);
    expect(failures(withSuspension({ ...valid, suspension: {} }))).toEqual([
      { path: 'data.result.suspension.suspension.id', code: 'required' },
    ]);
    expect(failures(withSuspension({ ...valid, suspension: { id: 3 } }))).toEqual([
      { path: 'data.result.suspension.suspension.id', code: 'invalid_type' },
    ]);
    expect(failures(withSuspension({ suspension: { id: 'p' } }))).toEqual([
      { path: 'data.result.suspension.resume_mode', code: 'required' },
    ]);
    expect(failures(withSuspension({ ...valid, resume_mode: ' ' }))).toEqual([
      { path: 'data.result.suspension.resume_mode', code: 'blank' },
    ]);
    expect(failures(withSuspension({ ...valid, extra: 1 }))).toEqual([
      { path: 'data.result.suspension.extra', code: 'unknown_property' },
    ]);
    expect(failures(withSuspension('paused'))).toEqual([
      { path: 'data.result.suspension', code: 'invalid_type' },
    ]);
  });

  it('reports every failing data field at once', () => {
    const envelope = example('pipeline', 'transition');
    envelope.data = { node_id: 'node-1', story_id: '', event_seq: -1, at: 'noon', extra: true };
    expect(failures(envelope)).toEqual(
      expect.arrayContaining<Failure>([
        { path: 'data.story_id', code: 'blank' },
        { path: 'data.from_stage', code: 'required' },
        { path: 'data.to_stage', code: 'required' },
        { path: 'data.pipeline_event', code: 'required' },
        { path: 'data.event_seq', code: 'out_of_range' },
        { path: 'data.at', code: 'invalid_format' },
        { path: 'data.extra', code: 'unknown_property' },
      ]),
    );
    expect(failures(envelope)).toHaveLength(7);
  });
});

describe('field rules, by hand', () => {
  it('takes `at` as RFC 3339 or non-negative epoch milliseconds', () => {
    const at = (value: unknown) =>
      failures(withValue(example('instance_tags', 'attached'), ['data', 'at'], value));
    for (const ok of [0, 1795428000000, '2026-11-23T10:00:00Z', '2026-11-23T10:00:00.5+05:30']) {
      expect([ok, at(ok)]).toEqual([ok, []]);
    }
    expect(at('2026-11-23')).toEqual([{ path: 'data.at', code: 'invalid_format' }]);
    expect(at('yesterday')).toEqual([{ path: 'data.at', code: 'invalid_format' }]);
    expect(at(-1)).toEqual([{ path: 'data.at', code: 'invalid_type' }]);
    // The largest instant a Date holds is fine; one millisecond more is not an instant.
    expect(at(8.64e15)).toEqual([]);
    expect(at(8.64e15 + 1)).toEqual([{ path: 'data.at', code: 'invalid_format' }]);
  });

  it('takes a canonical source_cursor as a decimal stream sequence', () => {
    const cursor = (value: unknown) =>
      failures(withValue(example('canonical', 'RunStarted'), ['data', 'source_cursor'], value));
    for (const ok of ['0', '1', '1042', '18446744073709551615'])
      expect([ok, cursor(ok)]).toEqual([ok, []]);
    for (const bad of ['01', '-1', '1.0', '1e3', 'abc', ' 1']) {
      expect([bad, cursor(bad)]).toEqual([
        bad,
        [{ path: 'data.source_cursor', code: 'invalid_format' }],
      ]);
    }
    expect(cursor(1042)).toEqual([{ path: 'data.source_cursor', code: 'invalid_type' }]);
  });

  it('keeps a producer gap a range: from <= to, 1 <= dropped <= its size (decisions D20)', () => {
    const gap = (data: Json) =>
      failures({
        ...example('producer', 'gap'),
        data: { ...example('producer', 'gap').data, ...data },
      });
    expect(gap({ from_sourceseq: 7, to_sourceseq: 7, dropped: 1 })).toEqual([]);
    expect(gap({ from_sourceseq: 0, to_sourceseq: 9, dropped: 10 })).toEqual([]);
    expect(gap({ from_sourceseq: 0, to_sourceseq: 9, dropped: 3 })).toEqual([]);
    expect(gap({ from_sourceseq: 8, to_sourceseq: 7, dropped: 1 })).toEqual([
      { path: 'data.to_sourceseq', code: 'out_of_range' },
    ]);
    expect(gap({ from_sourceseq: 0, to_sourceseq: 9, dropped: 11 })).toEqual([
      { path: 'data.dropped', code: 'out_of_range' },
    ]);
    expect(gap({ dropped: 0 })).toEqual([{ path: 'data.dropped', code: 'out_of_range' }]);
    // A field invalid on its own is reported once, not also by the rule across fields.
    expect(gap({ from_sourceseq: 'x', to_sourceseq: -1 })).toEqual([
      { path: 'data.from_sourceseq', code: 'invalid_type' },
      { path: 'data.to_sourceseq', code: 'out_of_range' },
    ]);
  });

  it('counts a producer gap per family, by family name only', () => {
    const families = (value: unknown) =>
      failures(withValue(example('producer', 'gap'), ['data', 'families'], value));
    expect(families({ agent: 1, producer: 2 })).toEqual([]);
    expect(families({})).toEqual([]);
    expect(families({ nope: 1 })).toEqual([
      { path: 'data.families.nope', code: 'unknown_property' },
    ]);
    expect(families({ trace: 0 })).toEqual([{ path: 'data.families.trace', code: 'out_of_range' }]);
    expect(families({ trace: 1.5 })).toEqual([
      { path: 'data.families.trace', code: 'invalid_type' },
    ]);
  });

  it('requires canonical data.kind to equal the kind of type', () => {
    const envelope = withValue(example('canonical', 'RunStarted'), ['data', 'kind'], 'RunResumed');
    expect(failures(envelope)).toEqual([{ path: 'data.kind', code: 'invalid_value' }]);
  });

  it('keeps any non-blank revoked_by as is (no {other} wrapping)', () => {
    for (const value of ['operator', 'reconciler', 'backend', 'ops-bot']) {
      const envelope = withValue(
        example('lease_history', 'revoked'),
        ['data', 'revoked_by'],
        value,
      );
      const result = decode(envelope);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect((result.value.data as unknown as Json)['revoked_by']).toBe(value);
    }
  });

  it('takes any JSON value, null included, in a trace payload slot', () => {
    for (const value of [null, 0, '', 'x', [1, 'a'], { nested: { deep: true } }, false]) {
      const envelope = withValue(example('trace', 'op_end'), ['data', 'payload', 'outputs'], value);
      expect([value, failures(envelope)]).toEqual([value, []]);
    }
  });

  it('keeps the extra fields of open agent kinds whatever their type', () => {
    const envelope = example('agent', 'text_delta');
    envelope.data = { ...envelope.data, delta: 42, message_id: null, nested: { a: [1] } };
    const result = decode(envelope);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.data).toEqual(envelope.data);
    expect(failures(withValue(example('agent', 'text_delta'), ['data', 'thread_id'], ' '))).toEqual(
      [{ path: 'data.thread_id', code: 'blank' }],
    );
  });

  it('takes a correlation id on every agent kind, fixed payloads included (decisions D16)', () => {
    for (const kind of KINDS.agent) {
      const given = withValue(example('agent', kind), ['data', 'correlation_id'], 'corr-1');
      expect([kind, failures(given)]).toEqual([kind, []]);
      const blank = withValue(example('agent', kind), ['data', 'correlation_id'], ' ');
      expect([kind, failures(blank)]).toEqual([
        kind,
        [{ path: 'data.correlation_id', code: 'blank' }],
      ]);
    }
  });
});
