import { checkEngineConfidentiality, CONTENT_WORDS, suggestsContent } from './confidentiality';
import { decode } from './decode';
import { exampleEvent } from './examples';
import { type Family, KINDS, type KindOf } from './families';
import { type ValidationCode } from './validation-error';

// The engine confidentiality invariant (DESIGN.md §3, engine): no engine event may carry
// prompt or response content. The rule on names, here, looks at property names (at any
// depth and on the envelope itself); the rule on values (every engine string is an
// identifier) is engine-values.spec.ts. Other families are subject to neither.

type Json = Record<string, unknown>;
type Envelope = Json & { data: Json };
type Failure = { readonly path: string; readonly code: ValidationCode };

function example(family: Family, kind: string): Envelope {
  return JSON.parse(JSON.stringify(exampleEvent(family, kind as KindOf<Family>))) as Envelope;
}

function failures(input: unknown): Failure[] {
  const result = decode(input);
  return result.ok ? [] : result.errors.map(({ path, code }) => ({ path, code }));
}

const DESIGN_WORDS = [
  'prompt',
  'response',
  'content',
  'messages',
  'completion',
  'text',
  'input',
  'output',
];

describe('suggestsContent', () => {
  it('knows every word DESIGN.md lists', () => {
    for (const word of DESIGN_WORDS) expect([word, suggestsContent(word)]).toEqual([word, true]);
    expect([...CONTENT_WORDS].sort()).toEqual(
      ['completion', 'content', 'input', 'message', 'output', 'prompt', 'response', 'text'].sort(),
    );
  });

  it.each([
    'prompt',
    'prompts',
    'Prompt',
    'PROMPT',
    'prompt_text',
    'raw_response',
    'response-body',
    'system.prompt',
    'promptTokens',
    'rawResponse',
    'userMessage',
    'PromptText',
    'message',
    'contents',
    'completions',
    'texts',
    'inputs',
    'outputs',
    'input_tokens',
    'output_tokens',
    'completion_tokens',
    'response_time',
    '__prompt__',
    'the prompt',
  ])('flags %p', (name) => {
    expect(suggestsContent(name)).toBe(true);
  });

  it.each([
    '',
    'model',
    'route',
    'provider',
    'latency_ms',
    'status_code',
    'port',
    'kind',
    'context',
    'contextual',
    'textual',
    'pretext',
    'prompter',
    'responsive',
    'messaging',
    'inputted',
    'subtext',
    'tokens',
    's',
  ])('leaves %p alone', (name) => {
    expect(suggestsContent(name)).toBe(false);
  });

  // An acronym prefix must not hide the word ("HTTPResponse"), nor a digit suffix ("prompt2").
  it.each(['HTTPResponse', 'XMLPrompt', 'LLMOutput', 'prompt2', 'raw_text_v2'])(
    'flags %p',
    (name) => {
      expect(suggestsContent(name)).toBe(true);
      const envelope = example('engine', 'request_served');
      (envelope['data'] as Record<string, unknown>)[name] = 'x';
      expect(failures(envelope)).toEqual([
        { path: `data.${name}`, code: 'confidentiality_violation' },
      ]);
    },
  );
});

describe('checkEngineConfidentiality', () => {
  it('reports every content-like name at any depth, with its path', () => {
    const found = checkEngineConfidentiality({
      model: 'qwen3-4b',
      prompt: 'hi',
      meta: { rawResponse: { text: 'x' }, ok: 1 },
      list: [{ messages: [] }, 'prompt', { deeper: [{ output: null }] }],
    });
    expect(found.map(({ path, code }) => ({ path, code }))).toEqual([
      { path: 'data.prompt', code: 'confidentiality_violation' },
      { path: 'data.meta.rawResponse', code: 'confidentiality_violation' },
      { path: 'data.meta.rawResponse.text', code: 'confidentiality_violation' },
      { path: 'data.list[0].messages', code: 'confidentiality_violation' },
      { path: 'data.list[2].deeper[0].output', code: 'confidentiality_violation' },
    ]);
    expect(found[0]?.message).toBe(
      'data.prompt: engine events must not carry prompt or response content',
    );
  });

  it('flags whatever the value, null and empty included', () => {
    for (const value of [null, '', 0, false, [], {}]) {
      expect(checkEngineConfidentiality({ prompt: value })).toHaveLength(1);
    }
  });

  it("never looks at values (the value rule is decode's, engine-values.ts)", () => {
    expect(
      checkEngineConfidentiality({
        kind: 'prompt too long',
        route: '/v1/chat/completions',
        provider: 'text-generation',
        tags: ['prompt', 'response', 'messages'],
      }),
    ).toEqual([]);
  });

  it('starts from the path it is given, and accepts non-objects', () => {
    expect(checkEngineConfidentiality({ text: 1 }, 'x.y')[0]?.path).toBe('x.y.text');
    for (const value of [undefined, null, 'prompt', 42, []]) {
      expect(checkEngineConfidentiality(value)).toEqual([]);
    }
  });
});

describe('decode: engine events carry no content', () => {
  const kinds = KINDS.engine.map((kind) => [kind] as const);
  const names = [...DESIGN_WORDS, 'prompts', 'rawResponse', 'message_content', 'outputTokens'];

  describe.each(kinds)('engine.%s', (kind) => {
    it.each(names)('rejects data.%s with `confidentiality_violation` only', (name) => {
      const envelope = example('engine', kind);
      envelope.data[name] = 'x';
      expect(failures(envelope)).toEqual([
        { path: `data.${name}`, code: 'confidentiality_violation' },
      ]);
    });

    it.each(names)('rejects the top-level attribute %s the same way', (name) => {
      const envelope = example('engine', kind);
      envelope[name] = 'x';
      expect(failures(envelope)).toEqual([{ path: name, code: 'confidentiality_violation' }]);
    });

    it('rejects a benign unknown property as `unknown_property`', () => {
      const envelope = example('engine', kind);
      envelope.data['gpu'] = 'a100';
      expect(failures(envelope)).toEqual([{ path: 'data.gpu', code: 'unknown_property' }]);
    });
  });

  it('rejects content nested inside an unknown property, naming both', () => {
    const envelope = example('engine', 'request_served');
    envelope.data['meta'] = { request: { prompt: 'hello' }, list: [{ completion: 'hi' }] };
    expect(failures(envelope)).toEqual([
      { path: 'data.meta', code: 'unknown_property' },
      { path: 'data.meta.request.prompt', code: 'confidentiality_violation' },
      { path: 'data.meta.list[0].completion', code: 'confidentiality_violation' },
    ]);
  });

  it('accepts content-like values in declared fields', () => {
    const served = example('engine', 'request_served');
    Object.assign(served.data, {
      route: '/v1/completions/prompt',
      provider: 'text-generation-inference',
      model: 'prompt-guard',
    });
    delete served['subject'];
    expect(failures(served)).toEqual([]);
    const error = example('engine', 'engine_error');
    error.data['kind'] = 'prompt_too_long:response/content';
    expect(failures(error)).toEqual([]);
    // free text is another matter: engine values are identifiers (engine-values.spec.ts)
    error.data['kind'] = 'prompt_too_long: the response exceeded max content length';
    expect(failures(error)).toEqual([{ path: 'data.kind', code: 'confidentiality_violation' }]);
  });

  it('reports content next to other errors without hiding them', () => {
    const envelope = example('engine', 'request_served');
    envelope.data['status_code'] = 700;
    envelope.data['prompt'] = 'hi';
    delete envelope.data['route'];
    expect(failures(envelope)).toEqual(
      expect.arrayContaining<Failure>([
        { path: 'data.status_code', code: 'out_of_range' },
        { path: 'data.prompt', code: 'confidentiality_violation' },
        { path: 'data.route', code: 'required' },
      ]),
    );
    expect(failures(envelope)).toHaveLength(3);
  });
});

describe('decode: the rule is the engine family only', () => {
  it('rejects content-like names of closed kinds as plain unknown properties', () => {
    const lease = example('lease_history', 'acquired');
    lease.data['prompt'] = 'x';
    lease['Response'] = 'y';
    expect(failures(lease)).toEqual([
      { path: 'Response', code: 'unknown_property' },
      { path: 'data.prompt', code: 'unknown_property' },
    ]);
  });

  it('keeps a content-like extension attribute on other families', () => {
    const lease = example('lease_history', 'acquired');
    lease['response'] = 'y';
    expect(failures(lease)).toEqual([]);
  });

  it('keeps content where other families carry it', () => {
    const agent = example('agent', 'text_delta');
    Object.assign(agent.data, { delta: 'Hello', content: 'Hello', messages: [{ text: 'hi' }] });
    expect(failures(agent)).toEqual([]);

    const annotation = example('trace', 'annotation');
    (annotation.data['payload'] as Json)['value'] = { prompt: 'the prompt', response: 'ok' };
    expect(failures(annotation)).toEqual([]);

    const opStart = example('trace', 'op_start');
    (opStart.data['payload'] as Json)['inputs'] = { messages: [{ content: 'hi' }] };
    expect(failures(opStart)).toEqual([]);

    const canonical = example('canonical', 'TextDeltaObserved');
    canonical.data['payload'] = { text: 'Hello', message_id: 'm-1' };
    expect(failures(canonical)).toEqual([]);
  });

  it('does not apply to an event whose type is unknown', () => {
    const envelope = example('engine', 'request_served');
    envelope['type'] = 'runlog.engine.request_failed';
    envelope['Prompt'] = 'x';
    expect(failures(envelope)).toEqual([
      { path: 'Prompt', code: 'unknown_property' },
      { path: 'type', code: 'unknown_kind' },
    ]);
  });
});

describe('decode: engine ranges (DESIGN.md §3)', () => {
  const served = (statusCode: unknown): Envelope => {
    const envelope = example('engine', 'request_served');
    envelope.data['status_code'] = statusCode;
    return envelope;
  };

  it.each([100, 101, 200, 404, 500, 599])('accepts status_code %p and keeps it', (statusCode) => {
    const result = decode(served(statusCode));
    expect(result.ok && (result.value.data as unknown as Json)['status_code']).toBe(statusCode);
  });

  it.each([99, 600, 0, -1, -200, 1000, Number.MAX_SAFE_INTEGER])(
    'rejects status_code %p with `out_of_range`',
    (statusCode) => {
      expect(failures(served(statusCode))).toEqual([
        { path: 'data.status_code', code: 'out_of_range' },
      ]);
    },
  );

  it.each([200.5, 99.5, '200', true, [200], { code: 200 }])(
    'rejects status_code %p with `invalid_type`',
    (statusCode) => {
      expect(failures(served(statusCode))).toEqual([
        { path: 'data.status_code', code: 'invalid_type' },
      ]);
    },
  );

  it('never defaults a missing or null status_code', () => {
    const missing = served(undefined);
    delete missing.data['status_code'];
    expect(failures(missing)).toEqual([{ path: 'data.status_code', code: 'required' }]);
    expect(failures(served(null))).toEqual([{ path: 'data.status_code', code: 'required' }]);
  });

  it('names the bound in the message', () => {
    const result = decode(served(600));
    expect(result.ok ? '' : result.errors[0]?.message).toBe(
      'data.status_code must not be greater than 599',
    );
  });

  it('keeps latency_ms non-negative and port within 1..65535', () => {
    const request = example('engine', 'request_served');
    request.data['latency_ms'] = -0.5;
    expect(failures(request)).toEqual([{ path: 'data.latency_ms', code: 'out_of_range' }]);
    request.data['latency_ms'] = 0;
    expect(failures(request)).toEqual([]);

    for (const [port, found] of [
      [0, [{ path: 'data.port', code: 'out_of_range' }]],
      [65536, [{ path: 'data.port', code: 'out_of_range' }]],
      [80.5, [{ path: 'data.port', code: 'invalid_type' }]],
      [1, []],
      [65535, []],
    ] as const) {
      const started = example('engine', 'engine_started');
      started.data['port'] = port;
      expect([port, failures(started)]).toEqual([port, found]);
    }
  });
});
