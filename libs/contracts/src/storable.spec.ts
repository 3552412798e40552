import { seeded } from '../../testing/src/seeded';
import { decode, decodeStored } from './decode';
import { decodeBatch } from './decode-batch';
import { ALL_KINDS, exampleEvent } from './examples';
import { MAX_AGENT_DATA_DEPTH, MAX_DATA_DEPTH } from './storable';

type Envelope = Record<string, unknown> & { data: Record<string, unknown> };
const trace = (): Envelope => exampleEvent('trace', 'op_start') as unknown as Envelope;

/** `{inputs: {x: {x: ... leaf}}}` with `levels` objects below `data`. */
function nested(levels: number, leaf: unknown = 1): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = { x: value };
  return value as Record<string, unknown>;
}

function codes(input: unknown): string[] {
  const result = decode(input);
  return result.ok ? [] : result.errors.map((e) => `${e.path} ${e.code}`);
}

describe('what the stores cannot hold is refused at the door', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', '\uDC00'],
    ['a high surrogate at the end', 'abc\uDBFF'],
  ])('refuses %s in a string, anywhere, with its path', (_, bad) => {
    const event = trace();
    event.data['payload'] = { inputs: { deep: [1, { text: bad }] } };
    expect(codes(event)).toEqual(['data.payload.inputs.deep[1].text invalid_value']);
    expect(codes({ ...trace(), source: bad })).toContain('source invalid_value');
    expect(decodeStored(event).ok).toBe(false);
  });

  it('refuses NUL and lone surrogates in property names, with a printable path', () => {
    const event = trace();
    event.data['payload'] = { inputs: { 'k\u0000': 1, 'ok\uD83D\uDE00': 2 } };
    const result = decode(event);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      expect.objectContaining({ path: 'data.payload.inputs["k\\u0000"]', code: 'invalid_value' }),
    ]);
    expect(result.errors[0]?.path.includes('\u0000')).toBe(false);
  });

  it('keeps paired surrogates (emoji) and ordinary control characters', () => {
    const event = trace();
    event.data['payload'] = { inputs: { say: 'hi \uD83D\uDE00 \t\u0001' } };
    expect(codes(event)).toEqual([]);
  });

  it(`refuses data nested deeper than ${MAX_DATA_DEPTH} levels, and accepts ${MAX_DATA_DEPTH}`, () => {
    const ok = trace();
    // data (1) > payload (2) > inputs, the first of the nested objects (3): MAX_DATA_DEPTH in all.
    ok.data['payload'] = { inputs: nested(MAX_DATA_DEPTH - 2) };
    expect(codes(ok)).toEqual([]);
    const deep = trace();
    deep.data['payload'] = { inputs: nested(MAX_DATA_DEPTH - 1) };
    const found = codes(deep);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^data\.payload\.inputs(\.x)+ too_deep$/);
  });

  it(`refuses agent data nested deeper than ${MAX_AGENT_DATA_DEPTH}: its canonical events copy it one level down`, () => {
    // data (1) > deep (2) > ...: MAX_AGENT_DATA_DEPTH in all is the most an agent event takes
    const agent = (levels: number): Envelope => {
      const event = exampleEvent('agent', 'activity_delta') as unknown as Envelope;
      event.data['deep'] = nested(levels);
      return event;
    };
    const deepest = agent(MAX_AGENT_DATA_DEPTH - 1);
    expect(codes(deepest)).toEqual([]);
    expect(codes(agent(MAX_AGENT_DATA_DEPTH))).toEqual([
      expect.stringMatching(/^data\.deep(\.x)+ too_deep$/),
    ]);
    // the normalizer writes it as data.payload of a canonical fact, which must still decode
    const canonical = exampleEvent('canonical', 'ActivityDeltaObserved') as unknown as Envelope;
    canonical.data['payload'] = deepest.data;
    expect(codes(canonical)).toEqual([]);
  });

  it.each([3_000, 100_000])('answers (never throws) for data %i levels deep', (levels) => {
    const event = trace();
    event.data['payload'] = { inputs: nested(levels) };
    expect(codes(event)).toEqual([expect.stringMatching(/ too_deep$/)]);
    expect(decodeStored(event).ok).toBe(false);
    expect(decodeBatch([event]).ok).toBe(false);
  });

  it.each([NaN, Infinity, -Infinity])('refuses the non-finite number %p', (value) => {
    const event = exampleEvent('engine', 'request_served') as unknown as Envelope;
    event.data['latency_ms'] = value;
    expect(codes(event)).toEqual(['data.latency_ms out_of_range']);
  });
});

describe('decode never throws (seeded fuzz over every kind)', () => {
  const random = seeded(17);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hostile = (): unknown =>
    pick<() => unknown>([
      () => 'x'.repeat(Math.floor(random() * 100_000)),
      () => '\u0000',
      () => '\uD800',
      () => 2 ** 60,
      () => -1e308,
      () => Number.NaN,
      () => nested(Math.floor(random() * 5_000)),
      () => [nested(70)],
      () => ({ __proto__: { polluted: true } }),
      () => JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as unknown,
      () => ({ toString: 'x', valueOf: 2, hasOwnProperty: 3 }),
      () => null,
      () => [],
      () => true,
      () => 42,
      () => Symbol('not json'),
      () => undefined,
    ])();

  it('answers a result for 3,000 hostile variations of every kind and envelope attribute', () => {
    let tried = 0;
    let refused = 0;
    for (let round = 0; round < 3_000; round++) {
      const { family, kind } = pick(ALL_KINDS);
      const event = exampleEvent(family, kind as never) as unknown as Envelope;
      const fields = [...Object.keys(event), ...Object.keys(event.data).map((k) => `data.${k}`)];
      const field = pick(fields);
      if (field.startsWith('data.')) event.data[field.slice(5)] = hostile();
      else event[field] = hostile();
      tried++;
      const results = [decode(event), decodeStored(event)];
      for (const result of results) {
        if (result.ok) continue;
        refused++;
        for (const error of result.errors) {
          expect(typeof error.path).toBe('string');
          expect(typeof error.code).toBe('string');
          expect(error.message.length).toBeGreaterThan(0);
        }
      }
    }
    expect(tried).toBe(3_000);
    expect(refused).toBeGreaterThan(1_000);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
