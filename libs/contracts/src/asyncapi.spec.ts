import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { asyncApiDocument } from './asyncapi';
import { ALL_KINDS, exampleEvent } from './examples';
import { ENGINE_LIVE_ONLY_KINDS, FAMILIES, KINDS } from './families';

const root = join(__dirname, '..', '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
};
const document = asyncApiDocument(version) as {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: string; channel: { $ref: string } }>;
  components: { messages: Record<string, { payload: object }> };
};

// Formats (date-time) are decode()'s to check; the schema is about shape.
const ajv = new Ajv2020({ strict: false, validateFormats: false });
const validator = (family: string, kind: string) =>
  ajv.compile(document.components.messages[`${family}.${kind}`]!.payload);

describe('asyncapi.yaml', () => {
  it('is the document the contract generates (run `npm run asyncapi` after changing a family)', () => {
    const file = parse(readFileSync(join(root, 'asyncapi.yaml'), 'utf8')) as unknown;
    expect(file).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('is AsyncAPI 3 with every channel, operation and message reference resolving', () => {
    expect(document.asyncapi).toBe('3.1.0');
    for (const [name, channel] of Object.entries(document.channels)) {
      for (const message of Object.values(channel.messages)) {
        const target = message.$ref.replace('#/components/messages/', '');
        expect([name, target in document.components.messages]).toEqual([name, true]);
      }
    }
    for (const operation of Object.values(document.operations)) {
      expect(['send', 'receive']).toContain(operation.action);
      expect(operation.channel.$ref.replace('#/channels/', '') in document.channels).toBe(true);
    }
  });

  it('has a channel per family subject, its ingress subject, and the live and dead-letter subjects', () => {
    for (const family of FAMILIES) {
      expect(document.channels[`events.${family}`]?.address).toBe(`events.${family}.{key}`);
      expect(Object.keys(document.channels[`ingest.${family}`]!.messages)).toEqual([
        ...KINDS[family],
      ]);
    }
    expect(Object.keys(document.channels['events.engine']!.messages)).toEqual(['request_served']);
    expect(Object.keys(document.channels['live.engine']!.messages)).toEqual([
      ...ENGINE_LIVE_ONLY_KINDS,
    ]);
    expect(document.channels['live.agent']?.address).toBe('live.agent.{thread}.{run}');
    expect(document.channels.deadletter?.address).toBe('deadletter.{consumer}.{family}');
  });

  it.each(ALL_KINDS)(
    '$family.$kind: the example validates against the message schema',
    ({ family, kind }) => {
      const validate = validator(family, kind);
      const example = (exampleEvent as (family: string, kind: string) => unknown)(family, kind);
      expect([validate(example), validate.errors]).toEqual([true, null]);
    },
  );

  it('rejects what decode() rejects for shape: a missing required field, an unknown property, a wrong type', () => {
    const served = exampleEvent('engine', 'request_served') as { data: Record<string, unknown> };
    const validate = validator('engine', 'request_served');
    const { status_code: _missing, ...withoutStatus } = served.data;
    void _missing;
    expect(validate({ ...served, data: withoutStatus })).toBe(false);
    expect(validate({ ...served, data: { ...served.data, prompt: 'x' } })).toBe(false);
    expect(validate({ ...served, data: { ...served.data, status_code: '200' } })).toBe(false);
    expect(validate({ ...served, type: 'runlog.engine.model_loaded' })).toBe(false);
    const nested = exampleEvent('agent', 'tool_call_done') as { data: { result: object } };
    expect(
      validator('agent', 'tool_call_done')({ ...nested, data: { ...nested.data, result: {} } }),
    ).toBe(false);
  });
});

describe('asyncapi.yaml: CloudEvents extension attributes', () => {
  it('takes what decode() takes: extension names of a-z0-9, typed values, null as absent', () => {
    const lease = exampleEvent('lease_history', 'acquired');
    const validate = validator('lease_history', 'acquired');
    expect(validate({ ...lease, tenant: 'acme', shard: 7, replay: true, gone: null })).toBe(true);
    expect(validate({ ...lease, dataschema: 'https://example.com/s.json', time: null })).toBe(true);
    expect(validate({ ...lease, Tenant: 'acme' })).toBe(false);
    expect(validate({ ...lease, tenant: { a: 1 } })).toBe(false);
    expect(validate({ ...lease, shard: 2 ** 31 })).toBe(false);
    expect(validate({ ...lease, cursor: '1' })).toBe(false);
    expect(validate({ ...lease, traceparent: '00-abc' })).toBe(false);
    const served = exampleEvent('engine', 'request_served');
    const engine = validator('engine', 'request_served');
    expect(engine({ ...served, region: 'eu-west-1' })).toBe(true);
    expect(engine({ ...served, region: 'my secret prompt' })).toBe(false);
  });
});
