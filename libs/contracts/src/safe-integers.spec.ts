import Ajv2020 from 'ajv/dist/2020';
import { asyncApiDocument } from './asyncapi';
import { decode, decodeStored } from './decode';
import { ALL_KINDS, exampleEvent } from './examples';
import { FAMILIES, type Family, type KindOf } from './families';
import { dataSchema, type JsonSchema } from './json-schema';
import { type ValidationCode } from './validation-error';
import { Int, Num, OptInt } from './validation/fields';

// Numbers beyond the safe integers (±(2^53 - 1)) no longer name one integer: 2^53 + 1 reads
// back as 2^53. Every numeric field refuses them with `out_of_range` and its path, and the
// published JSON Schema says the same.

const MAX = Number.MAX_SAFE_INTEGER;
type Json = Record<string, unknown>;
type Failure = { readonly path: string; readonly code: ValidationCode };

interface NumericField {
  readonly family: Family;
  readonly kind: string;
  /** Below `data`: `['payload', 'idx']`. */
  readonly at: readonly string[];
  readonly type: 'integer' | 'number';
  readonly minimum: number;
  readonly maximum: number;
}

/** Every integer and number property of a JSON Schema, nested objects included. */
function numericFields(
  family: Family,
  kind: string,
  schema: JsonSchema,
  at: readonly string[] = [],
): NumericField[] {
  if (schema['type'] === 'integer' || schema['type'] === 'number') {
    return [
      {
        family,
        kind,
        at,
        type: schema['type'],
        minimum: schema['minimum'] as number,
        maximum: schema['maximum'] as number,
      },
    ];
  }
  const properties = (schema['properties'] ?? {}) as Readonly<Record<string, JsonSchema>>;
  return Object.entries(properties).flatMap(([name, child]) =>
    numericFields(family, kind, child, [...at, name]),
  );
}

const FIELDS = ALL_KINDS.flatMap(({ family, kind }) =>
  numericFields(family, kind, dataSchema(family, kind as KindOf<Family>)),
);
const name = (field: NumericField): string =>
  `${field.family}.${field.kind} data.${field.at.join('.')}`;
const INTEGERS = FIELDS.filter((field) => field.type === 'integer');
const NUMBERS = FIELDS.filter((field) => field.type === 'number');

/** The example envelope of the field's kind with the field set to `value`. */
function withValue(field: NumericField, value: number): Json {
  const envelope = JSON.parse(
    JSON.stringify(exampleEvent(field.family, field.kind as KindOf<Family>)),
  ) as Json & { data: Json };
  let node: Json = envelope.data;
  for (const key of field.at.slice(0, -1)) node = node[key] as Json;
  node[field.at[field.at.length - 1] as string] = value;
  // producer.gap is a range (from <= to, dropped <= its size): keep it one around the value.
  if (field.family === 'producer' && field.at[0] === 'from_sourceseq') {
    const valid = Number.isSafeInteger(value) && value >= 0;
    Object.assign(envelope.data, { to_sourceseq: valid ? value : 0, dropped: 1 });
  }
  if (field.family === 'producer' && field.at[0] === 'to_sourceseq') {
    Object.assign(envelope.data, { from_sourceseq: 0, dropped: 1 });
  }
  if (field.family === 'producer' && field.at[0] === 'dropped') {
    Object.assign(envelope.data, { from_sourceseq: 0, to_sourceseq: MAX });
  }
  return envelope;
}

function failures(input: unknown): Failure[] {
  const result = decode(input);
  return result.ok ? [] : result.errors.map(({ path, code }) => ({ path, code }));
}

describe('the numeric fields of the contract', () => {
  it('are exactly these (a new one is found here and covered by the tables below)', () => {
    const trace = [
      'op_start',
      'op_end',
      'op_yield',
      'annotation',
      'group_start',
      'group_end',
      'llm_usage',
      'media_ref',
    ].map((kind) => `trace.${kind} data.seq`);
    expect(INTEGERS.map(name).sort()).toEqual(
      [
        'engine.engine_started data.port',
        'engine.request_served data.status_code',
        ...trace,
        'trace.op_end data.payload.yield_count',
        'trace.op_yield data.payload.idx',
        'trace.llm_usage data.payload.prompt_tokens',
        'trace.llm_usage data.payload.completion_tokens',
        'trace.llm_usage data.payload.total_tokens',
        'trace.media_ref data.payload.size_bytes',
        'pipeline.transition data.event_seq',
        'pipeline.gap data.from_id',
        'pipeline.gap data.to_id',
        'producer.gap data.from_sourceseq',
        'producer.gap data.to_sourceseq',
        'producer.gap data.dropped',
        ...FAMILIES.map((family) => `producer.gap data.families.${family}`),
      ].sort(),
    );
    expect(NUMBERS.map(name).sort()).toEqual([
      'engine.request_served data.latency_ms',
      'trace.llm_usage data.payload.cost_usd',
      'trace.op_end data.payload.duration_ms',
    ]);
  });
});

describe.each(INTEGERS.map((field) => [name(field), field] as const))(
  'integer %s',
  (_name, field) => {
    const path = `data.${field.at.join('.')}`;

    it('takes 2^53 - 1 when its own bounds allow it, else refuses it as out_of_range', () => {
      expect(failures(withValue(field, MAX))).toEqual(
        field.maximum === MAX ? [] : [{ path, code: 'out_of_range' }],
      );
    });

    it.each([2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, -(2 ** 53), -1e300])(
      'refuses %p with `out_of_range` and its path',
      (value) => {
        const result = decode(withValue(field, value));
        expect(result.ok ? [] : result.errors.map(({ path, code }) => ({ path, code }))).toEqual([
          { path, code: 'out_of_range' },
        ]);
        expect(result.ok ? '' : result.errors[0]?.message).toContain(path);
      },
    );

    it('takes its lower bound, which is never below -(2^53 - 1)', () => {
      expect(field.minimum).toBeGreaterThanOrEqual(-MAX);
      expect(failures(withValue(field, field.minimum))).toEqual([]);
      expect(failures(withValue(field, field.minimum - 1))).toEqual([
        { path, code: 'out_of_range' },
      ]);
    });
  },
);

describe.each(NUMBERS.map((field) => [name(field), field] as const))(
  'number %s (fractions allowed, magnitude bounded the same way)',
  (_name, field) => {
    const path = `data.${field.at.join('.')}`;

    it.each([0, 12.25, 1e15 + 0.5, MAX])('takes %p', (value) => {
      expect(failures(withValue(field, value))).toEqual([]);
    });

    it.each([2 ** 53, 1e300, -(2 ** 53), -0.5])('refuses %p with `out_of_range`', (value) => {
      expect(failures(withValue(field, value))).toEqual([{ path, code: 'out_of_range' }]);
    });
  },
);

describe('sourceseq (the envelope extension)', () => {
  const envelope = (sourceseq: unknown): Json => ({
    ...exampleEvent('pipeline', 'transition'),
    sourceseq,
  });

  it.each([0, 1, MAX])('decode takes %p', (sourceseq) => {
    expect(failures(envelope(sourceseq))).toEqual([]);
  });

  it.each([2 ** 53, 2 ** 64, 1e300, -1, -(2 ** 53)])(
    'decode refuses %p with `out_of_range`',
    (sourceseq) => {
      const result = decode(envelope(sourceseq));
      expect(result).toMatchObject({
        ok: false,
        errors: [{ path: 'sourceseq', code: 'out_of_range' }],
      });
      expect(result.ok ? [] : result.errors).toHaveLength(1);
    },
  );

  it.each([1.5, '1', true])('decode refuses %p with `invalid_type`', (sourceseq) => {
    expect(failures(envelope(sourceseq))).toEqual([{ path: 'sourceseq', code: 'invalid_type' }]);
  });

  it('decodeStored takes the safe integers and refuses the rest as out_of_range', () => {
    for (const sourceseq of [0, MAX, -1]) {
      expect([sourceseq, decodeStored(envelope(sourceseq)).ok]).toEqual([sourceseq, true]);
    }
    for (const sourceseq of [2 ** 53, 1e300, -(2 ** 53)]) {
      expect([sourceseq, decodeStored(envelope(sourceseq))]).toMatchObject([
        sourceseq,
        { ok: false, errors: [{ path: 'sourceseq', code: 'out_of_range' }] },
      ]);
    }
  });
});

describe('the JSON Schema says so', () => {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });

  it.each(FIELDS.map((field) => [name(field), field] as const))(
    '%s has a minimum and a maximum within ±(2^53 - 1), and the schema refuses 2^53',
    (_name, field) => {
      expect(field.minimum).toBeGreaterThanOrEqual(-MAX);
      expect(field.maximum).toBeLessThanOrEqual(MAX);
      const validate = ajv.compile(dataSchema(field.family, field.kind as KindOf<Family>));
      const data = (value: number) => (withValue(field, value) as { data: Json }).data;
      expect(validate(data(2 ** 53))).toBe(false);
      expect(validate(data(-(2 ** 53)))).toBe(false);
      expect(validate(data(Math.min(field.maximum, MAX)))).toBe(true);
    },
  );

  it('bounds sourceseq in the AsyncAPI envelope', () => {
    const document = asyncApiDocument('0.0.0') as {
      components: { messages: Record<string, { payload: { properties: Json } }> };
    };
    for (const { family, kind } of ALL_KINDS) {
      const message = `${family}.${kind}`;
      const payload = document.components.messages[message]?.payload;
      // `null` is also taken (absent, CloudEvents JSON format): the bounds are the integer branch's.
      const sourceseq = payload?.properties['sourceseq'] as { anyOf?: unknown[] } | undefined;
      expect(sourceseq?.anyOf?.[1]).toEqual({ type: 'null' });
      expect([message, sourceseq?.anyOf?.[0]]).toEqual([
        message,
        expect.objectContaining({ type: 'integer', minimum: 0, maximum: MAX }),
      ]);
    }
  });
});

describe('numeric field declarations', () => {
  it('refuse bounds wider than the safe integers, at load time', () => {
    expect(() => Int(0, 2 ** 53)).toThrow(RangeError);
    expect(() => OptInt(0, Infinity)).toThrow(RangeError);
    expect(() => Num(-(2 ** 53))).toThrow(RangeError);
    expect(() => Int(5, 1)).toThrow(RangeError);
    expect(() => Int(-MAX, MAX)).not.toThrow();
  });
});
