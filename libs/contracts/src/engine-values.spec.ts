import Ajv2020 from 'ajv/dist/2020';
import { asyncApiDocument } from './asyncapi';
import { decode } from './decode';
import {
  ENGINE_IDENTIFIER,
  ENGINE_ROUTE,
  ENGINE_SOURCE,
  engineRuleProblem,
  satisfiesEngineRule,
} from './engine-values';
import { exampleEvent } from './examples';
import { type Family, type KindOf } from './families';
import { dataSchema } from './json-schema';
import { schemaOf } from './families/schemas';
import { type ValidationError } from './validation-error';
import { explainShape, validateShape } from './validation/validate-shape';

// The engine confidentiality invariant by value (DESIGN.md §3, NOTES-contracts2): every
// string an engine event carries is an identifier of a fixed shape, so no prompt or
// response can ride in a route, a model name, an error kind, a source or a subject.

type Json = Record<string, unknown>;
type Envelope = Json & { data: Json };

function example(family: Family, kind: string): Envelope {
  return JSON.parse(JSON.stringify(exampleEvent(family, kind as KindOf<Family>))) as Envelope;
}

function errorsOf(input: unknown): readonly ValidationError[] {
  const result = decode(input);
  return result.ok ? [] : result.errors;
}

function codes(input: unknown): { path: string; code: string }[] {
  return errorsOf(input).map(({ path, code }) => ({ path, code }));
}

/** The engine example of `kind` with `data[field]` set; the subject is derived again. */
function engineWith(kind: string, field: string, value: unknown): Envelope {
  const envelope = example('engine', kind);
  envelope.data[field] = value;
  if (field === 'model') delete envelope['subject'];
  return envelope;
}

/** Asserts one `confidentiality_violation` at `path`, naming the rule, never the value. */
function expectViolation(input: unknown, path: string, value: string, says?: string): void {
  const errors = errorsOf(input);
  expect([value, errors.map(({ path, code }) => ({ path, code }))]).toEqual([
    value,
    [{ path, code: 'confidentiality_violation' }],
  ]);
  const message = errors[0]?.message ?? '';
  expect(message.startsWith(`${path} `)).toBe(true);
  expect(message).toContain('is not free text (pattern ');
  if (says !== undefined) expect(message).toContain(says);
  // the value may be the very secret: never quoted back (short values are word fragments)
  if (value.length > 3) expect([value, message.includes(value)]).toEqual([value, false]);
}

describe('the smuggling attempts of the brief', () => {
  it('refuses a prompt in the query string of a route', () => {
    const envelope = engineWith('request_served', 'route', '/v1/chat?prompt=my secret');
    expectViolation(envelope, 'data.route', '/v1/chat?prompt=my secret', 'query string (?)');
    expect(errorsOf(envelope)[0]?.message).not.toContain('secret');
  });

  it('refuses a response quoted in an engine_error kind', () => {
    const kind = 'parse error near: "Sure! here is the password"';
    const envelope = engineWith('engine_error', 'kind', kind);
    expectViolation(envelope, 'data.kind', kind, 'whitespace');
    expect(errorsOf(envelope)[0]?.message).not.toContain('password');
  });
});

describe('request_served.route: a path, nothing else', () => {
  it.each([
    '/v1/chat/completions',
    '/',
    '/v1/completions',
    '/v1/models/{model}',
    '/v1/models/meta-llama/Llama-3.1-8B',
    '/api/v1/generate:stream',
    '/v1/embeddings/',
    "/a-z_0-9.~!$&'()*+,;=:@",
    `/${'a'.repeat(255)}`,
  ])('accepts %p', (route) => {
    expect(codes(engineWith('request_served', 'route', route))).toEqual([]);
  });

  it.each([
    ['v1/chat/completions', 'starts with /'],
    ['https://api.example/v1/chat', 'starts with /'],
    ['/v1/chat?prompt=hello', 'query string (?)'],
    ['/v1/chat?', 'query string (?)'],
    ['/v1/chat#Sure-here-is-the-password', 'fragment (#)'],
    ['/v1/chat completions', 'whitespace'],
    ['/v1/chat/Sure! here is the password', 'whitespace'],
    ['/v1/chat\nSure', 'whitespace'],
    ['/v1/chat\r\n', 'whitespace'],
    ['/v1/chat\t', 'whitespace'],
    ['/v1/\u0007bell', 'control'],
    ['/v1/\u007fdel', 'control'],
    ['/v1/\u0085nel', 'control'],
    ['/v1/\u00a0nbsp', 'whitespace'],
    ['/v1/\u2028line', 'whitespace'],
    ['/v1/zero\u200bwidth', 'control'],
    ['/v1/\u202eright-to-left', 'control'],
    ['/v1/"the prompt"', 'whitespace'],
    ['/v1/"secret"', 'path characters'],
    ['/v1/`secret`', 'path characters'],
    ['/v1/<script>', 'path characters'],
    ['/v1/a\\b', 'path characters'],
    ['/v1/a|b', 'path characters'],
    ['/v1/[0]', 'path characters'],
    ['/v1/chat/my%20secret', 'path characters'],
    ['/v1/café', 'path characters'],
    ['/v1/秘密', 'path characters'],
    ['/v1/😀', 'path characters'],
    [`/${'a'.repeat(256)}`, 'at most 256 characters'],
    [`/v1/${'x'.repeat(5000)}`, 'at most 256 characters'],
  ])('refuses %p (%s)', (route, says) => {
    expectViolation(engineWith('request_served', 'route', route), 'data.route', route, says);
  });

  it('keeps the codes of the other rules: blank, not a string, NUL', () => {
    expect(codes(engineWith('request_served', 'route', ' '))).toEqual([
      { path: 'data.route', code: 'blank' },
    ]);
    expect(codes(engineWith('request_served', 'route', 42))).toEqual([
      { path: 'data.route', code: 'invalid_type' },
    ]);
    expect(codes(engineWith('request_served', 'route', '/v1/\u0000'))).toEqual([
      { path: 'data.route', code: 'invalid_value' },
    ]);
  });
});

/** Every identifier field of the engine kinds: model, provider, engine_error.kind. */
const IDENTIFIER_FIELDS: readonly (readonly [string, string])[] = [
  ['engine_started', 'model'],
  ['model_loaded', 'model'],
  ['warm_up_complete', 'model'],
  ['engine_stopping', 'model'],
  ['request_served', 'model'],
  ['request_served', 'provider'],
  ['engine_error', 'kind'],
  ['engine_error', 'model'],
];

const IDENTIFIERS_ACCEPTED = [
  'llama-3.1-8b-instruct',
  'openai',
  'meta-llama/Llama-3.1-8B',
  'timeout',
  'qwen3:4b',
  'org/model@sha256:0a1b2c',
  'vllm+cuda12',
  'OOM_killed',
  'x',
  'a'.repeat(128),
];

const IDENTIFIERS_REFUSED: readonly (readonly [string, string])[] = [
  ['parse error near: "Sure! here is the password"', 'whitespace'],
  ['two words', 'whitespace'],
  [' leading', 'whitespace'],
  ['trailing ', 'whitespace'],
  ['new\nline', 'whitespace'],
  ['tab\there', 'whitespace'],
  ['zero\u200bwidth', 'control'],
  ['quote"d', 'may contain only'],
  ["single'quote", 'may contain only'],
  ['`backtick`', 'may contain only'],
  ['semi;colon', 'may contain only'],
  ['a=b', 'may contain only'],
  ['a?b', 'may contain only'],
  ['a#b', 'may contain only'],
  ['a,b', 'may contain only'],
  ['%20', 'may contain only'],
  ['{json}', 'may contain only'],
  ['café', 'may contain only'],
  ['модель', 'may contain only'],
  ['模型', 'may contain only'],
  ['😀', 'may contain only'],
  ['a'.repeat(129), 'at most 128 characters'],
];

describe.each(IDENTIFIER_FIELDS)('engine %s data.%s: an identifier', (kind, field) => {
  it.each(IDENTIFIERS_ACCEPTED)('accepts %p', (value) => {
    expect(codes(engineWith(kind, field, value))).toEqual([]);
  });

  it.each(IDENTIFIERS_REFUSED)('refuses %p (%s)', (value, says) => {
    expectViolation(engineWith(kind, field, value), `data.${field}`, value, says);
  });

  it('keeps `blank` for a blank value', () => {
    expect(codes(engineWith(kind, field, '\t\n'))).toEqual([
      { path: `data.${field}`, code: 'blank' },
    ]);
  });
});

describe('the envelope of an engine event', () => {
  const withSource = (source: unknown, family: Family = 'engine', kind = 'request_served') => ({
    ...example(family, kind),
    source,
  });

  it.each([
    'engine/qwen3-4b@host-1',
    'https://gpu-1.example:8080/vllm',
    'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
    '/engines/a',
    's'.repeat(256),
  ])('takes the source %p', (source) => {
    expect(codes(withSource(source))).toEqual([]);
  });

  it.each([
    ['engine/qwen3-4b?prompt=secret', 'may contain only'],
    ['https://h.example/p#frag', 'may contain only'],
    ['engine host', 'whitespace'],
    ['engine\nSure! here is the password', 'whitespace'],
    [' lead', 'whitespace'],
    ['trail ', 'whitespace'],
    ['engine/"x"', 'may contain only'],
    ['engine/ключ', 'may contain only'],
    ['a%20b', 'may contain only'],
    ['s'.repeat(257), 'at most 256 characters'],
  ])('refuses the source %p (%s)', (source, says) => {
    expectViolation(withSource(source), 'source', source, says);
  });

  it('keeps the other source rules: required, a string, not blank', () => {
    const missing = example('engine', 'request_served');
    delete missing['source'];
    expect(codes(missing)).toEqual([{ path: 'source', code: 'required' }]);
    expect(codes(withSource(7))).toEqual([{ path: 'source', code: 'invalid_type' }]);
    expect(codes(withSource('  '))).toEqual([{ path: 'source', code: 'blank' }]);
  });

  it('refuses a subject that is not an identifier, before comparing it with the key', () => {
    const given = example('engine', 'request_served');
    given['subject'] = 'Sure! here is the password';
    expectViolation(given, 'subject', 'Sure! here is the password', 'whitespace');

    // engine_error without model: the subject is the key
    const keyless = example('engine', 'engine_error');
    delete keyless.data['model'];
    keyless['subject'] = 'my secret prompt';
    expectViolation(keyless, 'subject', 'my secret prompt', 'whitespace');
    keyless['subject'] = 'meta-llama/Llama-3.1-8B';
    expect(codes(keyless)).toEqual([]);
    keyless['subject'] = `m${'x'.repeat(128)}`;
    expectViolation(keyless, 'subject', keyless['subject'] as string, 'at most 128 characters');
  });

  it('does not quote a refused model back when the subject differs from it', () => {
    const envelope = example('engine', 'request_served');
    envelope.data['model'] = 'my secret prompt';
    const errors = errorsOf(envelope);
    expect(errors.map(({ path, code }) => ({ path, code }))).toEqual([
      { path: 'data.model', code: 'confidentiality_violation' },
      { path: 'subject', code: 'invalid_value' },
    ]);
    for (const { message } of errors) expect(message).not.toContain('secret');
  });

  it('applies to the engine family only', () => {
    // URI-references (any family's source is one) that are not engine identifiers.
    for (const source of ['engine%20host', 'a?b#c', '/p;x=1', "svc/(it's)"]) {
      expect([source, codes(withSource(source, 'lease_history', 'acquired'))]).toEqual([
        source,
        [],
      ]);
    }
    const lease = example('lease_history', 'acquired');
    Object.assign(lease, { subject: 'exec with space' });
    lease.data['execution_id'] = 'exec with space';
    expect(codes(lease)).toEqual([]);
    const usage = example('trace', 'llm_usage');
    (usage.data['payload'] as Json)['model'] = 'my model, "quoted"';
    expect(codes(usage)).toEqual([]);
  });
});

describe('the rules as JSON Schema', () => {
  it('state each rule as a pattern of the engine data and envelope', () => {
    const served = dataSchema('engine', 'request_served')['properties'] as Json;
    expect(served['route']).toEqual({
      type: 'string',
      pattern: ENGINE_ROUTE.pattern,
      maxLength: 256,
    });
    for (const name of ['model', 'provider']) {
      expect(served[name]).toEqual({
        type: 'string',
        pattern: ENGINE_IDENTIFIER.pattern,
        maxLength: 128,
      });
    }
    const error = dataSchema('engine', 'engine_error')['properties'] as Json;
    expect(error['kind']).toMatchObject({ pattern: ENGINE_IDENTIFIER.pattern });
    expect(error['model']).toMatchObject({ pattern: ENGINE_IDENTIFIER.pattern });
    expect(ENGINE_SOURCE.pattern).toBe('^[A-Za-z0-9._:/@+-]{1,256}$');
    expect(ENGINE_IDENTIFIER.pattern).toBe('^[A-Za-z0-9._:/@+-]{1,128}$');
    expect(ENGINE_ROUTE.pattern).toBe("^/[A-Za-z0-9._~!$&'()*+,;=:@/{}-]{0,255}$");
  });

  it('make the AsyncAPI message of an engine kind refuse what decode refuses', () => {
    const document = asyncApiDocument('0.0.0') as {
      components: { messages: Record<string, { payload: object }> };
    };
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validate = ajv.compile(document.components.messages['engine.request_served']!.payload);
    const valid = example('engine', 'request_served');
    expect(validate(valid)).toBe(true);
    const smuggled = [
      { ...valid, data: { ...valid.data, route: '/v1/chat?prompt=my secret' } },
      { ...valid, source: 'engine host?prompt=x' },
      { ...valid, subject: 'Sure! here' },
      { ...valid, data: { ...valid.data, provider: 'open ai' } },
    ];
    for (const envelope of smuggled) {
      expect([envelope, validate(envelope)]).toEqual([envelope, false]);
      expect(codes(envelope)).toEqual([
        expect.objectContaining({ code: 'confidentiality_violation' }),
      ]);
    }
    const lease = ajv.compile(document.components.messages['lease_history.acquired']!.payload);
    expect(lease({ ...example('lease_history', 'acquired'), source: 'any source at all' })).toBe(
      true,
    );
  });

  it('give the compiled fast path the verdict class-validator gives', () => {
    const values = [
      ...IDENTIFIERS_ACCEPTED,
      ...IDENTIFIERS_REFUSED.map(([value]) => value),
      '/v1/chat/completions',
      '/v1/chat?prompt=my secret',
      `/${'a'.repeat(256)}`,
    ];
    for (const [kind, field] of [...IDENTIFIER_FIELDS, ['request_served', 'route'] as const]) {
      const schema = schemaOf('engine', kind);
      for (const value of values) {
        const data = engineWith(kind, field, value).data;
        expect([kind, field, value, validateShape(data, schema, 'data')]).toEqual([
          kind,
          field,
          value,
          explainShape(data, schema, 'data'),
        ]);
      }
    }
  });
});

describe('engineRuleProblem', () => {
  it('is undefined exactly when the pattern holds', () => {
    for (const rule of [ENGINE_ROUTE, ENGINE_IDENTIFIER, ENGINE_SOURCE]) {
      for (const value of ['/v1/chat', 'openai', 'a b', '', '/', `/${'x'.repeat(300)}`]) {
        expect([rule.name, value, engineRuleProblem(rule, value) === undefined]).toEqual([
          rule.name,
          value,
          satisfiesEngineRule(rule, value),
        ]);
      }
    }
  });
});
