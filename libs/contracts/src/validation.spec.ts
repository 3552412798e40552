import * as contracts from './index';
import { err, ok } from './result';
import { CONSTRAINTS, isRfc3339 } from './validation/decorators';
import { Int, OptStr, Str } from './validation/fields';
import { isPlainObject, joinPath, validateShape } from './validation/validate-shape';

// The validation building blocks decode relies on, and the public entry point.

class Sample {
  @Str() id!: string;
  @OptStr() note?: string;
  @Int(1, 9) count!: number;
}

class Payload {
  @Str() label!: string;
}

describe('isRfc3339', () => {
  it.each([
    '2026-11-23T10:00:00Z',
    '2026-11-23T10:00:00.1Z',
    '2026-11-23T10:00:00+00:00',
    '2026-11-23T10:00:00-23:59',
    '2026-11-23t10:00:00z',
    '2026-11-23 10:00:00Z',
    '2024-02-29T23:59:59Z',
    '1970-01-01T00:00:00Z',
  ])('accepts %p', (value) => {
    expect(isRfc3339(value)).toBe(true);
  });

  it.each([
    '',
    '2026-11-23',
    '10:00:00Z',
    '2026-11-23T10:00:00',
    '2026-11-23T10:00Z',
    '2026-11-23T10:00:00.Z',
    '2026-11-23T10:00:00+05',
    '2026-11-23T10:00:00+0500',
    '2026-1-23T10:00:00Z',
    '26-11-23T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-13-10T10:00:00Z',
    '2026-11-00T10:00:00Z',
    '2026-11-32T10:00:00Z',
    '2026-11-23T10:61:00Z',
    '2026-11-23T10:00:00+25:00',
    '2026-11-23T10:00:00Z ',
    '2026-11-23T10:00:00ZZ',
  ])('rejects %p', (value) => {
    expect(isRfc3339(value)).toBe(false);
  });

  // Date.parse alone rolls impossible days over instead of failing.
  it.each([
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-23T24:00:00Z',
    '2026-11-23T10:60:00Z',
    '2026-11-23T10:00:00+24:00',
    '2026-12-31T23:59:60Z', // a leap second: no JavaScript Date can hold it
  ])('rejects the instant that does not exist, %p', (value) => {
    expect(isRfc3339(value)).toBe(false);
  });

  it.each(['2024-02-29T00:00:00Z', '2026-12-31T23:59:59Z', '2026-11-23T10:00:00.123+05:30'])(
    'accepts %p',
    (value) => {
      expect(isRfc3339(value)).toBe(true);
    },
  );
});

describe('joinPath / isPlainObject', () => {
  it('joins properties with "." and array indexes with brackets', () => {
    expect(joinPath('data', 'status_code')).toBe('data.status_code');
    expect(joinPath('data.scopes', '0')).toBe('data.scopes[0]');
    expect(joinPath('data.scopes[0]', 'type')).toBe('data.scopes[0].type');
    expect(joinPath('', 'time')).toBe('time');
    expect(joinPath('data.ctx', '12')).toBe('data.ctx[12]');
  });

  it('tells JSON objects from everything else', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject({ a: 1 })).toBe(true);
    for (const value of [null, undefined, [], [1], 'x', 0, true]) {
      expect([value, isPlainObject(value)]).toEqual([value, false]);
    }
  });
});

describe('validateShape', () => {
  const shape = (value: unknown, open = false) =>
    validateShape(value, { cls: Sample, open }, 'root').map(({ path, code }) => ({ path, code }));

  it('accepts a valid value', () => {
    expect(shape({ id: 'a', count: 1 })).toEqual([]);
    expect(shape({ id: 'a', note: 'n', count: 9 })).toEqual([]);
  });

  it('names a missing or non-object value by its own path', () => {
    expect(shape(undefined)).toEqual([{ path: 'root', code: 'required' }]);
    expect(shape(null)).toEqual([{ path: 'root', code: 'required' }]);
    expect(shape([])).toEqual([{ path: 'root', code: 'invalid_type' }]);
    expect(shape('x')).toEqual([{ path: 'root', code: 'invalid_type' }]);
  });

  it('gives one error per field, the most fundamental one', () => {
    expect(shape({ count: 1 })).toEqual([{ path: 'root.id', code: 'required' }]);
    expect(shape({ id: 5, count: 1 })).toEqual([{ path: 'root.id', code: 'invalid_type' }]);
    expect(shape({ id: ' ', count: 1 })).toEqual([{ path: 'root.id', code: 'blank' }]);
    expect(shape({ id: 'a', count: 0 })).toEqual([{ path: 'root.count', code: 'out_of_range' }]);
    expect(shape({ id: 'a', count: 'many' })).toEqual([
      { path: 'root.count', code: 'invalid_type' },
    ]);
    expect(shape({ id: 'a', count: 1, note: '' })).toEqual([{ path: 'root.note', code: 'blank' }]);
  });

  it('rejects unknown properties unless the schema is open', () => {
    expect(shape({ id: 'a', count: 1, extra: 1 })).toEqual([
      { path: 'root.extra', code: 'unknown_property' },
    ]);
    expect(shape({ id: 'a', count: 1, extra: 1 }, true)).toEqual([]);
  });

  it('validates a payload slot by its own schema', () => {
    const withPayload = (payload: unknown, open = false) =>
      validateShape(
        { id: 'a', count: 1, payload },
        { cls: Sample, open: true, payload: { cls: Payload, open } },
        'data',
      ).map(({ path, code }) => ({ path, code }));
    expect(withPayload({ label: 'x' })).toEqual([]);
    expect(withPayload({})).toEqual([{ path: 'data.payload.label', code: 'required' }]);
    expect(withPayload({ label: 'x', more: 1 })).toEqual([
      { path: 'data.payload.more', code: 'unknown_property' },
    ]);
    expect(withPayload({ label: 'x', more: 1 }, true)).toEqual([]);
  });

  it('names its messages by the full path', () => {
    const [error] = validateShape({ id: 'a', count: 10 }, { cls: Sample }, 'data');
    expect(error).toEqual({
      path: 'data.count',
      code: 'out_of_range',
      message: 'data.count must not be greater than 9',
    });
    const [missing] = validateShape({ count: 1 }, { cls: Sample }, 'data');
    expect(missing?.message).toBe('data.id is required');
  });

  it('names the constraints decode maps to codes', () => {
    expect(Object.values(CONSTRAINTS).sort()).toEqual(
      [
        'isNotBlank',
        'isTimestampType',
        'isTimestampFormat',
        'isJsonObject',
        'isStringArray',
        'isDecimalCursor',
        'isPresent',
        'isEngineValue',
      ].sort(),
    );
  });
});

describe('result', () => {
  it('builds the two outcomes', () => {
    expect(ok(1)).toEqual({ ok: true, value: 1 });
    expect(err(['x'])).toEqual({ ok: false, errors: ['x'] });
  });
});

describe('the public entry point (index.ts)', () => {
  it.each([
    'decode',
    'decodeStored',
    'encode',
    'eventSubject',
    'exampleEvent',
    'exampleData',
    'checkEngineConfidentiality',
    'suggestsContent',
    'encodeKeyToken',
    'decodeKeyToken',
    'familySubject',
    'familySubjectFilter',
    'ingestSubject',
    'deadLetterSubject',
    'liveEngineSubject',
    'liveAgentSubject',
    'parseFamilySubject',
    'dataKey',
    'subjectAttribute',
    'keyOfSubjectAttribute',
    'storedSubject',
    'hasPairKey',
    'streamName',
    'familyRetention',
    'isValidJetStreamName',
    'parseEventType',
    'eventType',
    'isFamily',
    'isKindOf',
    'ok',
    'err',
    'engineValueErrors',
    'engineRuleProblem',
    'satisfiesEngineRule',
  ])('exports the function %s', (name) => {
    expect(typeof (contracts as Record<string, unknown>)[name]).toBe('function');
  });

  it('exports the constants', () => {
    expect(contracts.FAMILIES).toHaveLength(10);
    expect(Object.keys(contracts.KINDS)).toEqual([...contracts.FAMILIES]);
    expect(Object.keys(contracts.SCHEMAS)).toEqual([...contracts.FAMILIES]);
    expect(contracts.ALL_KINDS.length).toBeGreaterThan(0);
    expect(contracts.CONTENT_WORDS.has('prompt')).toBe(true);
    expect(contracts.ENVELOPE_ATTRIBUTES).toContain('sourceseq');
    expect(contracts.ENGINE_ROUTE.name).toBe('route');
    expect(contracts.ENGINE_IDENTIFIER.maxLength).toBe(128);
    expect(contracts.ENGINE_SOURCE.maxLength).toBe(256);
    expect(contracts.COMPLETION_OUTCOMES).toEqual(['success', 'failure', 'cancelled']);
    expect(contracts.SIGNAL_EFFECTS).toEqual(['satisfied', 'buffered', 'deduped']);
    expect(contracts.REVOKED_BY).toEqual(['operator', 'reconciler', 'backend']);
    expect(contracts.RUN_TERMINATIONS).toEqual([
      'natural_end',
      'behavior_requested',
      'suspended',
      'cancelled',
      'error',
      'stopped',
      'blocked',
    ]);
    expect(contracts.TOOL_CALL_OUTCOMES).toEqual(['succeeded', 'failed', 'suspended']);
    expect(contracts.FIDELITIES).toEqual([
      'domain',
      'committed_runtime',
      'observed_runtime',
      'control',
    ]);
    expect(contracts.OP_END_STATUSES).toEqual(['ok', 'error', 'cancelled']);
    expect(contracts.GROUP_END_STATUSES).toEqual(['ok', 'truncated']);
    expect(contracts.ENGINE_LIVE_ONLY_KINDS).toEqual(
      contracts.KINDS.engine.filter((kind) => kind !== 'request_served'),
    );
  });
});
