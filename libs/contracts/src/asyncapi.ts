import { ENGINE_IDENTIFIER, ENGINE_SOURCE, type EngineValueRule } from './engine-values';
import { exampleEvent } from './examples';
import {
  ENGINE_LIVE_ONLY_KINDS,
  eventType,
  FAMILIES,
  type Family,
  KINDS,
  type KindOf,
} from './families';
import { ENVELOPE_ATTRIBUTES } from './envelope';
import { MAX_EXTENSION_NAME, RESERVED_EXTENSION_NAMES } from './extensions';
import { dataSchema, type JsonSchema } from './json-schema';
import { hasPairKey, KEY_FIELD } from './keys';
import { DEADLETTER_STREAM, familyRetention, INGEST_STREAM, streamName } from './streams';

/** The partition key of each family's subjects (DESIGN.md §3). */
const keyOf = (family: Family): string =>
  hasPairKey(family) ? 'thread_id.run_id (two key tokens)' : KEY_FIELD[family];

const KEY_TOKEN =
  'a key token: the key itself when it matches ^[A-Za-z0-9_\\-:@{}=+]+$, else ~ and the base64url of its UTF-8 bytes';

/** A string an engine event carries: the rule's pattern (DESIGN.md §3, confidentiality). */
function engineString(rule: EngineValueRule, description?: string): JsonSchema {
  return {
    type: 'string',
    pattern: rule.pattern,
    maxLength: rule.maxLength,
    ...(description === undefined ? {} : { description }),
  };
}

/** An optional attribute: `null` means absent (CloudEvents JSON format). */
const orNull = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

/** Names that are not extensions: the attributes runlog knows, the reserved names, the tracing two. */
const NOT_EXTENSIONS = [
  ...ENVELOPE_ATTRIBUTES,
  ...RESERVED_EXTENSION_NAMES,
  'traceparent',
  'tracestate',
].join('|');

/**
 * Extension attributes (decode's rules, but the W3C formats' details): any other name of
 * a-z and 0-9, a string (on an engine event an identifier), a 32-bit integer or a boolean.
 */
function extensionSchemas(family: Family): {
  patternProperties: JsonSchema;
  properties: JsonSchema;
} {
  const text =
    family === 'engine'
      ? engineString(ENGINE_IDENTIFIER, 'An identifier, never free text (confidentiality)')
      : { type: 'string' };
  return {
    patternProperties: {
      [`^(?!(?:${NOT_EXTENSIONS})$)[a-z0-9]{1,${MAX_EXTENSION_NAME}}$`]: {
        description: 'A CloudEvents extension attribute',
        anyOf: [
          text,
          { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 31 - 1 },
          { type: 'boolean' },
          { type: 'null' },
        ],
      },
    },
    properties: {
      traceparent: orNull({
        type: 'string',
        pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
        description: 'W3C Trace Context (the Distributed Tracing extension)',
      }),
      tracestate: orNull({ type: 'string', description: 'W3C Trace Context list members' }),
    },
  };
}

/** The CloudEvents 1.0 envelope (structured JSON) of one kind, with its `data` schema. */
function envelopeSchema<F extends Family>(family: F, kind: KindOf<F>): JsonSchema {
  const extensions = extensionSchemas(family);
  return {
    type: 'object',
    required: ['specversion', 'id', 'source', 'type', 'data'],
    additionalProperties: false,
    patternProperties: extensions.patternProperties,
    properties: {
      specversion: { const: '1.0' },
      id: {
        type: 'string',
        minLength: 1,
        maxLength: 1024,
        description: 'Unique; the JetStream msgID',
      },
      source:
        family === 'engine'
          ? engineString(ENGINE_SOURCE, 'An identifier, never free text (confidentiality)')
          : { type: 'string', format: 'uri-reference', minLength: 1, maxLength: 1024 },
      type: { const: eventType(family, kind) },
      time: orNull({ type: 'string', format: 'date-time' }),
      subject: orNull({
        ...(family === 'engine' ? engineString(ENGINE_IDENTIFIER) : { type: 'string' }),
        description: 'The partition key; derived from data when absent',
      }),
      datacontenttype: orNull({
        type: 'string',
        pattern: '^application/json(?:[ \\t]*;.*)?$',
        description:
          'application/json (RFC 2046 syntax, parameters allowed); stored as application/json',
      }),
      dataschema: orNull({
        ...(family === 'engine' ? engineString(ENGINE_SOURCE) : { type: 'string' }),
        format: 'uri',
        description: 'An absolute URI (RFC 3986 §4.3): the schema data adheres to',
      }),
      sourceseq: orNull({
        type: 'integer',
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Per-source monotonic sequence, for gap detection',
      }),
      ...extensions.properties,
      data: dataSchema(family, kind),
    },
  };
}

const messageName = (family: Family, kind: string): string => `${family}.${kind}`;

function messages(family: Family, kinds: readonly string[]): Record<string, { $ref: string }> {
  return Object.fromEntries(
    kinds.map((kind) => [kind, { $ref: `#/components/messages/${messageName(family, kind)}` }]),
  );
}

const stored = (family: Family): readonly string[] =>
  family === 'engine'
    ? KINDS.engine.filter((kind) => !(ENGINE_LIVE_ONLY_KINDS as readonly string[]).includes(kind))
    : KINDS[family];

/**
 * runlog's AsyncAPI 3.1 document, built from the contract (families, kinds, subjects,
 * streams, the CloudEvents envelope and each kind's `data` schema), so that producers and
 * consumers in other languages see exactly what `decode()` accepts. `npm run asyncapi`
 * writes it to `asyncapi.yaml`; a test keeps the file and this in step.
 */
export function asyncApiDocument(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const components: Record<string, unknown> = {};
  for (const family of FAMILIES) {
    const key = { description: `${keyOf(family)}, as ${KEY_TOKEN}` };
    channels[`events.${family}`] = {
      address: `events.${family}.{key}`,
      title: streamName(family),
      description:
        `Stored in JetStream stream ${streamName(family)} (${familyRetention(family)} retention); ` +
        'the stream sequence is the cursor. Publish with a Nats-Msg-Id header equal to the id.',
      parameters: { key },
      messages: messages(family, stored(family)),
    };
    channels[`ingest.${family}`] = {
      address: `ingest.${family}.{key}`,
      title: `${INGEST_STREAM} (${family})`,
      description: `Async ingress: ingest validates and routes to events.${family}; invalid input goes to deadletter.ingest.${family}.`,
      parameters: { key },
      messages: messages(family, KINDS[family]),
    };
    operations[`publish_${family}`] = {
      action: 'send',
      channel: { $ref: `#/channels/events.${family}` },
    };
    operations[`ingest_${family}`] = {
      action: 'send',
      channel: { $ref: `#/channels/ingest.${family}` },
    };
    operations[`consume_${family}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/events.${family}` },
    };
    for (const kind of KINDS[family]) {
      components[messageName(family, kind)] = {
        name: kind,
        title: eventType(family, kind),
        contentType: 'application/json',
        payload: envelopeSchema(family, kind),
        examples: [{ name: kind, payload: exampleEvent(family, kind) }],
      };
    }
  }
  channels['live.engine'] = {
    address: 'live.engine.{model}',
    description: 'Engine lifecycle events, core NATS only (never stored).',
    parameters: { model: { description: `the model, as ${KEY_TOKEN}` } },
    messages: messages('engine', ENGINE_LIVE_ONLY_KINDS),
  };
  channels['live.agent'] = {
    address: 'live.agent.{thread}.{run}',
    description: 'Every raw agent event, forwarded by the normalizer over core NATS.',
    parameters: {
      thread: { description: `thread_id, as ${KEY_TOKEN}` },
      run: { description: `run_id, as ${KEY_TOKEN}` },
    },
    messages: messages('agent', KINDS.agent),
  };
  channels.deadletter = {
    address: 'deadletter.{consumer}.{family}',
    title: DEADLETTER_STREAM,
    description:
      'Parked messages: the original body and headers, plus Runlog-Dl-* headers with the reason, cause, original stream, sequence and deliveries.',
    parameters: {
      consumer: { description: 'the durable' },
      family: { description: 'the family, or unknown' },
    },
    messages: { deadLetter: { $ref: '#/components/messages/deadletter' } },
  };
  operations.tail_live_engine = { action: 'receive', channel: { $ref: '#/channels/live.engine' } };
  operations.tail_live_agent = { action: 'receive', channel: { $ref: '#/channels/live.agent' } };
  operations.read_dead_letters = { action: 'receive', channel: { $ref: '#/channels/deadletter' } };
  components.deadletter = {
    name: 'deadLetter',
    title: 'A dead letter',
    payload: { description: 'The original message body, byte for byte.' },
  };
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'runlog',
      version,
      description:
        'The event bus of runlog: one JetStream stream per event family, CloudEvents 1.0 in structured JSON (DESIGN.md).',
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:4222', protocol: 'nats', description: 'NATS with JetStream' },
    },
    channels,
    operations,
    components: { messages: components },
  };
}
