import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  ALL_KINDS,
  ENGINE_IDENTIFIER,
  ENGINE_SOURCE,
  exampleEvent,
  type Family,
  FAMILIES,
  hasUnstorableChar,
  KINDS,
  satisfiesEngineRule,
  schemaOf,
  streamName,
  subjectAttribute,
  suggestsContent,
  checkExtension,
  isUriReference,
} from '@runlog/contracts';
import { seeded, uniqueName, waitFor } from '@runlog/testing';
import { type Answer, event, type IngestFixture, startIngest } from './ingest-fixtures';

// Robustness of POST /v1/events (DESIGN.md §2-§4): hundreds of deterministic mutations of
// the valid examples never get a 5xx, every 400 names its errors by path and code, every
// 202 is in its stream exactly once under its id; and a JetStream outage mid-request
// answers 503 with what was (not) written, and the same batch retried later lands once.

type Rec = Record<string, unknown>;

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seeded(seed);
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const SEED = Number(process.env.ROBUSTNESS_SEED ?? 0x5eed_2026);
const CASES = 300;

/** What the mutation must lead to: a 202, a 400 naming it, or either (the schema decides). */
type Expect = 'accept' | 'reject' | 'either';

interface Generated {
  readonly event: Rec;
  readonly family: Family;
  readonly kind: string;
  readonly mutation: string;
  readonly expect: Expect;
  /** When rejected, an error that must be among the event's errors. */
  readonly error?: { readonly path: string; readonly code?: string };
  /** A body-level answer (before validation) is allowed: the JSON parser refuses it. */
  readonly bodyError?: boolean;
}

const ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
  'sourceseq',
  'data',
] as const;
const REQUIRED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'data',
]);

const CONTENT_NAMES = [
  'prompt',
  'response',
  'content',
  'messages',
  'completion',
  'text',
  'input',
  'output',
  'userPrompt',
  'response_text',
  'Messages',
  'raw-output',
];
/** Names of Object.prototype members: reserved anywhere in `data` (`invalid_value`). */
const PROTOTYPE_NAMES = ['toString', 'hasOwnProperty', 'valueOf', 'constructor'];
const ODD_NAMES = [
  'extra',
  'a.b',
  'a.b.c',
  'ключ',
  '键',
  '😀',
  'with space',
  '$set',
  '',
  ' ',
  'x'.repeat(300),
  'null',
  ...PROTOTYPE_NAMES,
];
const TRICKY_KEYS = [
  'a.b.c',
  'exec with space',
  'ключ-😀',
  '*',
  '>',
  'a*b.>',
  '~abc',
  '~',
  'tab\there',
  'new\nline',
  'nul\u0000byte',
  '  padded  ',
  '%2F',
  '../../etc',
  // Keys whose NATS subject would pass 1024 bytes are rejected (a NATS protocol line is at
  // most 4096 bytes); that case is tested in http.int-spec.ts.
  'x'.repeat(700),
];

/** A value of a random wrong type; long strings carry a unique prefix so ids stay unique. */
function wrongValue(rng: Rng): { value: unknown; label: string } {
  switch (rng.int(10)) {
    case 0:
      return { value: null, label: 'null' };
    case 1:
      return { value: rng.pick([0, -1, 1.5, 2 ** 53, -1e308, 42]), label: 'number' };
    case 2:
      return { value: rng.chance(0.5), label: 'boolean' };
    case 3:
      return { value: '', label: 'empty string' };
    case 4:
      return { value: rng.pick(['   ', '\t\n', '\u00a0']), label: 'blank string' };
    case 5:
      return {
        value: `${uniqueName('long')}-${'x'.repeat(200 + rng.int(3000))}`,
        label: 'long string',
      };
    case 6:
      return { value: { a: { b: [1, { c: null }] } }, label: 'nested object' };
    case 7:
      return { value: [1, 'a', null, { d: true }], label: 'array' };
    case 8:
      return { value: {}, label: 'empty object' };
    default:
      return { value: [], label: 'empty array' };
  }
}

/** Every path (as property chains) inside `data`, objects and arrays alike. */
function pathsOf(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      out.push([...at, index], ...pathsOf(item, [...at, index]));
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      out.push([...at, key], ...pathsOf(child, [...at, key]));
    }
  }
  return out;
}

function parentOf(root: unknown, path: ReadonlyArray<string | number>): Rec | unknown[] {
  let node = root as Rec;
  for (const step of path.slice(0, -1)) node = node[step as string] as Rec;
  return node;
}

/** Adds an own property (a plain assignment of `__proto__` would set the prototype instead). */
function defineOwn(target: Rec, name: string, value: unknown): void {
  Object.defineProperty(target, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The partition key fields of a family's data, as paths (DESIGN.md §3). */
function keyPaths(family: Family): Array<Array<string | number>> {
  switch (family) {
    case 'engine':
      return [['model']];
    case 'trace':
      return [['request_id']];
    case 'pipeline':
      return [['node_id']];
    case 'producer':
      return [['source']];
    case 'agent':
      return [['thread_id'], ['run_id']];
    case 'canonical':
      return [
        ['scopes', 0, 'id'],
        ['scopes', 1, 'id'],
      ];
    default:
      return [['execution_id']];
  }
}

/** How decode names a place in `data`: `data.scopes[0].id`. */
function dataPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>(
    (parent, step) => (typeof step === 'number' ? `${parent}[${step}]` : `${parent}.${step}`),
    'data',
  );
}

function subjectOf(family: Family, data: Rec): string {
  switch (family) {
    case 'agent':
      return subjectAttribute([data['thread_id'] as string, data['run_id'] as string]);
    case 'canonical': {
      const scopes = data['scopes'] as Array<{ id: string }>;
      return subjectAttribute([scopes[0]!.id, scopes[1]!.id]);
    }
    default:
      return subjectAttribute(data[keyPaths(family)[0]![0] as string] as string);
  }
}

/** One mutated (or not) event of a random kind, with what ingest must answer for it. */
function generate(rng: Rng, index: number): Generated {
  const family = rng.pick(FAMILIES);
  const kind = rng.pick(KINDS[family]);
  const event = exampleEvent(family, kind as never, {
    id: uniqueName(`rb${index}`),
  }) as unknown as Rec;
  const data = event['data'] as Rec;
  const base = { event, family, kind };
  const mutations: Array<() => Omit<Generated, 'event' | 'family' | 'kind'>> = [
    () => ({ mutation: 'none', expect: 'accept' }),
    () => {
      const name = rng.pick(ATTRIBUTES);
      delete event[name];
      return REQUIRED_ATTRIBUTES.has(name)
        ? { mutation: `delete ${name}`, expect: 'reject', error: { path: name, code: 'required' } }
        : { mutation: `delete ${name}`, expect: 'accept' };
    },
    () => {
      const name = rng.pick(ATTRIBUTES);
      const { value, label } = wrongValue(rng);
      event[name] = value;
      const mutation = `${name} = ${label}`;
      // CloudEvents: null on an optional attribute means absent (as if deleted).
      if (value === null && !REQUIRED_ATTRIBUTES.has(name)) return { mutation, expect: 'accept' };
      if (name === 'sourceseq')
        return Number.isSafeInteger(value) && (value as number) >= 0
          ? { mutation, expect: 'accept' }
          : { mutation, expect: 'reject', error: { path: name } };
      if (label === 'long string' && name === 'source' && family === 'engine')
        return satisfiesEngineRule(ENGINE_SOURCE, value as string)
          ? { mutation, expect: 'accept' }
          : {
              mutation,
              expect: 'reject',
              error: { path: name, code: 'confidentiality_violation' },
            };
      if (label === 'long string' && name === 'source' && !isUriReference(value as string))
        return { mutation, expect: 'reject', error: { path: name, code: 'invalid_format' } };
      if (label === 'long string' && (name === 'id' || name === 'source'))
        return (value as string).length <= 1024
          ? { mutation, expect: 'accept' }
          : { mutation, expect: 'reject', error: { path: name, code: 'invalid_format' } };
      return { mutation, expect: 'reject', error: name === 'data' ? undefined : { path: name } };
    },
    () => {
      const paths = pathsOf(data);
      if (paths.length === 0) return { mutation: 'none (no data field)', expect: 'accept' };
      const path = rng.pick(paths);
      const parent = parentOf(data, path);
      const last = path[path.length - 1]!;
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last as string];
      return { mutation: `delete data.${path.join('.')}`, expect: 'either' };
    },
    () => {
      const paths = pathsOf(data);
      if (paths.length === 0) return { mutation: 'none (no data field)', expect: 'accept' };
      const path = rng.pick(paths);
      const { value, label } = wrongValue(rng);
      (parentOf(data, path) as Rec)[path[path.length - 1] as string] = value;
      return { mutation: `data.${path.join('.')} = ${label}`, expect: 'either' };
    },
    () => {
      const content = family === 'engine' && rng.chance(0.5);
      const name = content ? rng.pick(CONTENT_NAMES) : rng.pick([...ODD_NAMES, ...CONTENT_NAMES]);
      const value = wrongValue(rng).value;
      defineOwn(event, name, value);
      const mutation = `unknown attribute ${JSON.stringify(name)}`;
      // A lowercase a-z0-9 name is a CloudEvents extension attribute now: its value decides
      // (the rules are unit-tested in libs/contracts cloudevents.spec.ts); others stay refused.
      const verdict = checkExtension(name, value, family === 'engine');
      if (verdict.ok) return { mutation, expect: 'accept' };
      const code =
        family === 'engine' && suggestsContent(name)
          ? 'confidentiality_violation'
          : (verdict.errors[0]?.code ?? 'unknown_property');
      return { mutation, expect: 'reject', error: { path: name, code } };
    },
    () => {
      const content = family === 'engine' && rng.chance(0.6);
      const name = content ? rng.pick(CONTENT_NAMES) : rng.pick(ODD_NAMES);
      const objects = [[], ...pathsOf(data)].filter((path) => {
        const node = path.reduce<unknown>((at, step) => (at as Rec)[step as string], data);
        return typeof node === 'object' && node !== null && !Array.isArray(node);
      });
      const at = rng.pick(objects);
      const target = at.reduce<unknown>((node, step) => (node as Rec)[step as string], data) as Rec;
      defineOwn(target, name, rng.chance(0.5) ? 'some text' : wrongValue(rng).value);
      const path = dataPath([...at, name]);
      const mutation = `unknown data property ${path}`;
      if (family === 'engine' && suggestsContent(name))
        return { mutation, expect: 'reject', error: { code: 'confidentiality_violation', path } };
      if (PROTOTYPE_NAMES.includes(name))
        return { mutation, expect: 'reject', error: { code: 'invalid_value', path } };
      // the kind's schema decides for data itself and a trace payload; deeper, free-form slots vary
      const schema =
        at.length === 0
          ? schemaOf(family, kind)
          : at.join('.') === 'payload'
            ? schemaOf(family, kind).payload
            : undefined;
      if (schema === undefined) return { mutation, expect: 'either' };
      return schema.open === true
        ? { mutation, expect: 'accept' }
        : { mutation, expect: 'reject', error: { code: 'unknown_property', path } };
    },
    () => {
      const deep = { meta: { deep: [{ [rng.pick(CONTENT_NAMES)]: 'hello' }] } };
      Object.assign(data, deep);
      return family === 'engine'
        ? {
            mutation: 'nested content in data.meta',
            expect: 'reject',
            error: { code: 'confidentiality_violation', path: '' },
          }
        : schemaOf(family, kind).open === true
          ? { mutation: 'nested object in data.meta', expect: 'accept' }
          : {
              mutation: 'nested object in data.meta',
              expect: 'reject',
              error: { code: 'unknown_property', path: 'data.meta' },
            };
    },
    () => {
      const other = rng.pick(['nope', 'Engine', 'trace2', 'lease-history', 'x', '*', '>']);
      event['type'] = `runlog.${other}.${kind}`;
      return { mutation: `type family ${other}`, expect: 'reject', error: { path: 'type' } };
    },
    () => {
      const own = KINDS[family] as readonly string[];
      const foreign = ALL_KINDS.map((k) => k.kind).filter((k) => !own.includes(k));
      const other = rng.pick(['nope', kind.toUpperCase(), `${kind}_x`, rng.pick(foreign)]);
      event['type'] = `runlog.${family}.${other}`;
      return {
        mutation: `type kind ${other}`,
        expect: other === kind ? 'accept' : 'reject',
        error: { path: 'type' },
      };
    },
    () => {
      const other = rng.pick(KINDS[family]);
      event['type'] = `runlog.${family}.${other}`;
      return { mutation: `type swapped to ${other}`, expect: other === kind ? 'accept' : 'either' };
    },
    () => {
      const type = rng.pick([
        'runlog',
        '',
        `runlog.${family}`,
        'com.example.thing',
        `runlog.${family}.${kind}.extra`,
        ` runlog.${family}.${kind}`,
        `RUNLOG.${family}.${kind}`,
      ]);
      event['type'] = type;
      return {
        mutation: `type ${JSON.stringify(type)}`,
        expect: 'reject',
        error: { path: 'type' },
      };
    },
    () => {
      const version = rng.pick(['0.3', '1', '1.0.0', 'v1.0', 1, 1.0, '1.0 ', '', null]);
      event['specversion'] = version;
      return {
        mutation: `specversion ${JSON.stringify(version)}`,
        expect: 'reject',
        error: { path: 'specversion' },
      };
    },
    () => {
      const valid = [
        '2026-11-23T10:00:00Z',
        '2026-11-23t10:00:00.123456+05:30',
        '2026-11-23 10:00:00Z',
        '1970-01-01T00:00:00Z',
        '2026-11-23T10:00:00.1-12:00',
      ];
      const invalid = [
        'yesterday',
        '2026-11-23',
        '2026-13-01T00:00:00Z',
        '2026-11-23T25:00:00Z',
        '2026-11-23T10:00:00',
        '2026-11-23T10:00:00+0100',
        1732356000000,
        '',
        '   ',
        true,
      ];
      const edge = ['2026-02-30T00:00:00Z', '2026-11-23T23:59:60Z', '0000-01-01T00:00:00Z'];
      const which = rng.int(3);
      const time = rng.pick(which === 0 ? valid : which === 1 ? invalid : edge);
      event['time'] = time;
      return {
        mutation: `time ${JSON.stringify(time)}`,
        expect: which === 0 ? 'accept' : which === 1 ? 'reject' : 'either',
        error: { path: 'time' },
      };
    },
    () => {
      const path = rng.pick(keyPaths(family));
      const key = rng.pick(TRICKY_KEYS);
      (parentOf(data, path) as Rec)[path[path.length - 1] as string] = key;
      const keep = rng.int(3);
      if (keep === 0) delete event['subject'];
      else if (keep === 1) event['subject'] = subjectOf(family, data);
      // keep === 2: the old subject no longer matches the key
      const mutation = `key data.${path.join('.')} = ${JSON.stringify(key.slice(0, 20))} (subject ${['deleted', 'matching', 'stale'][keep]})`;
      // NUL is refused in any string, before anything else (DESIGN.md §2)
      if (hasUnstorableChar(key))
        return {
          mutation,
          expect: 'reject',
          error: { path: dataPath(path), code: 'invalid_value' },
        };
      // an engine key is its model: an identifier, never free text (DESIGN.md §3)
      if (family === 'engine' && !satisfiesEngineRule(ENGINE_IDENTIFIER, key))
        return {
          mutation,
          expect: 'reject',
          error: { path: dataPath(path), code: 'confidentiality_violation' },
        };
      return {
        mutation,
        expect: keep === 2 && subjectOf(family, data) !== event['subject'] ? 'reject' : 'accept',
        error: { path: 'subject' },
      };
    },
    () => {
      const seq = rng.pick([0, 1, 2 ** 53 - 1, -1, 1.5, '7', 2 ** 53]);
      event['sourceseq'] = seq;
      return {
        mutation: `sourceseq ${String(seq)}`,
        expect: Number.isSafeInteger(seq) && (seq as number) >= 0 ? 'accept' : 'reject',
        error: { path: 'sourceseq' },
      };
    },
    () => {
      const type = rng.pick([
        'application/json',
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'text/plain',
        'application/xml',
        'application/jsonx',
      ]);
      event['datacontenttype'] = type;
      return {
        mutation: `datacontenttype ${type}`,
        expect: /^application\/json\s*(;|$)/i.test(type) ? 'accept' : 'reject',
        error: { path: 'datacontenttype' },
      };
    },
    () => {
      const name = rng.pick(['__proto__', 'constructor']);
      const into = rng.chance(0.5) ? data : event;
      defineOwn(into, name, name === 'constructor' ? { prototype: { polluted: true } } : { x: 1 });
      return { mutation: `own property ${name}`, expect: 'reject', bodyError: true };
    },
    () => {
      // Ids and sources travel in NATS headers: line breaks, surrounding whitespace (header
      // values are trimmed, so "x " would dedupe against "x") and over 1024 characters are
      // rejected; anything else is accepted, but for an engine source (an identifier).
      const attribute = rng.pick(['id', 'source'] as const);
      if (rng.chance(0.4)) {
        const bad = rng.pick(['a\nb', 'a\r\nb', ' lead', 'trail ', 'tab\t', 'y'.repeat(1100)]);
        const id = event['id'] as string;
        event[attribute] =
          attribute !== 'id' ? bad : bad.startsWith(' ') ? `${bad}${id}` : `${id}${bad}`;
        return {
          mutation: `${attribute} ${JSON.stringify(bad.slice(0, 20))}`,
          expect: 'reject',
          error: {
            path: attribute,
            code:
              attribute === 'source' && family === 'engine'
                ? 'confidentiality_violation'
                : 'invalid_format',
          },
        };
      }
      const odd = rng.pick([
        'ключ-😀',
        'a:b: c',
        'nul\u0000byte',
        'a.b/c*>',
        'x'.repeat(900),
        '%20',
      ]);
      event[attribute] = attribute === 'id' ? `${event['id'] as string}-${odd}` : odd;
      const mutation = `${attribute} ${JSON.stringify(odd.slice(0, 20))}`;
      if (hasUnstorableChar(odd))
        return { mutation, expect: 'reject', error: { path: attribute, code: 'invalid_value' } };
      if (attribute === 'source' && family === 'engine' && !satisfiesEngineRule(ENGINE_SOURCE, odd))
        return {
          mutation,
          expect: 'reject',
          error: { path: attribute, code: 'confidentiality_violation' },
        };
      // A source is a URI-reference (RFC 3986): no spaces, ASCII only.
      return attribute === 'source' && !isUriReference(odd)
        ? { mutation, expect: 'reject', error: { path: attribute, code: 'invalid_format' } }
        : { mutation, expect: 'accept' };
    },
  ];
  // about a third unmutated, so batches of several are accepted too
  const outcome = (rng.chance(0.3) ? mutations[0]! : rng.pick(mutations))();
  return { ...base, ...outcome };
}

interface Stored {
  readonly stream: string;
  readonly cursor: string;
  readonly id: string;
}

interface AcceptedItem {
  index: number;
  id: string;
  stream: string | null;
  cursor: string | null;
  duplicate: boolean;
}

interface RejectedItem {
  index: number;
  id: string | null;
  errors: Array<{ path: unknown; code: unknown; message: unknown }>;
}

const isLiveOnly = (family: Family, kind: string) =>
  family === 'engine' && kind !== 'request_served';

const describeCase = (items: readonly Generated[]) =>
  items.map((g) => `${g.family}.${g.kind}: ${g.mutation}`).join(' | ');

describe('POST /v1/events under mutated input (seeded property test)', () => {
  let fx: IngestFixture;
  beforeAll(async () => {
    fx = await startIngest();
  });
  afterAll(() => fx?.close(), 30_000);

  it(`never answers 5xx; 400s name every error; 202s are stored once under their id (seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    const before = await fx.counts();
    /** Every stored event by `stream:cursor`, and the cursor of every stored id. */
    const stored = new Map<string, Stored>();
    const cursorOfId = new Map<string, string>();
    const acceptedEvents: Generated[] = [];
    /** Events accepted; posts rejected by validation, by the JSON parser; repeats sent. */
    const stats = { accepted: 0, rejected: 0, parserRejected: 0, repeats: 0 };

    /** Every broken rule, with the case that broke it: all are reported at once at the end. */
    const problems: string[] = [];
    const problem = (where: string, what: string, value?: unknown): void => {
      const shown = value === undefined ? '' : `: ${JSON.stringify(value)?.slice(0, 2000)}`;
      problems.push(`${what}${shown}  <- ${where}`);
    };

    const record = (item: AcceptedItem, generated: Generated, where: string) => {
      if (item.id !== generated.event['id']) problem(where, 'accepted id differs', item);
      if (isLiveOnly(generated.family, generated.kind)) {
        if (item.stream !== null || item.cursor !== null || item.duplicate !== false)
          problem(where, 'a live-only engine kind must answer stream and cursor null', item);
        return;
      }
      if (item.stream !== streamName(generated.family) || !/^\d+$/.test(item.cursor ?? ''))
        return problem(where, 'accepted in the wrong stream or without a cursor', item);
      const key = `${item.stream}:${item.cursor}`;
      const seen = cursorOfId.get(item.id);
      if (seen !== undefined) {
        // only a deliberate repeat hits an id twice: it answers the first cursor, duplicate
        if (!item.duplicate || key !== seen)
          problem(where, `a repeated id must answer duplicate and cursor ${seen}`, item);
        return;
      }
      if (item.duplicate) problem(where, 'a new id answered duplicate', item);
      if (stored.has(key)) problem(where, `two ids at ${key}`, [stored.get(key)!.id, item.id]);
      cursorOfId.set(item.id, key);
      stored.set(key, { stream: item.stream, cursor: item.cursor!, id: item.id });
    };

    const check = (answer: Answer, items: readonly Generated[]) => {
      const where = describeCase(items);
      if (answer.status >= 500 || ![202, 400, 413].includes(answer.status))
        return problem(where, `answered ${answer.status}`, answer.body);
      const mustAccept = items.every((g) => g.expect === 'accept');
      if (answer.status === 202) {
        stats.accepted += items.length;
        if (items.some((g) => g.expect === 'reject'))
          problem(where, 'accepted an event that must be rejected', answer.body);
        const accepted = answer.body['accepted'] as AcceptedItem[];
        if (
          !Array.isArray(accepted) ||
          accepted.map((a) => a.index).join() !== items.map((_, i) => i).join()
        )
          return problem(where, 'the 202 must list every event by index, in order', answer.body);
        accepted.forEach((item, i) => {
          record(item, items[i]!, where);
          acceptedEvents.push(items[i]!);
        });
        return;
      }
      if (mustAccept) problem(where, `rejected (${answer.status}) a valid batch`, answer.body);
      const error = answer.body['error'] as Rec | undefined;
      if (typeof error?.['code'] !== 'string' || typeof error['message'] !== 'string')
        problem(where, 'an error answer must carry error.code and error.message', answer.body);
      const rejected = answer.body['rejected'] as RejectedItem[] | undefined;
      if (rejected === undefined) {
        // a body the JSON parser refuses (prototype poisoning): no event was looked at
        stats.parserRejected++;
        if (answer.status !== 400 || !items.some((g) => g.bodyError))
          problem(where, `a ${answer.status} without rejected entries`, answer.body);
        return;
      }
      stats.rejected++;
      if (answer.status !== 400) problem(where, `rejected entries with ${answer.status}`);
      if (!['validation_failed', 'confidentiality_violation'].includes(error?.['code'] as string))
        problem(where, 'a 400 with rejected entries has an unexpected code', error);
      if (!Array.isArray(rejected) || rejected.length === 0)
        return problem(where, 'a 400 must list rejected events', answer.body);
      for (const entry of rejected) {
        const generated = items[entry.index];
        if (generated === undefined) {
          problem(where, 'rejected entry with an index outside the batch', entry);
          continue;
        }
        const sentId = generated.event['id'];
        if (entry.id !== (typeof sentId === 'string' ? sentId : null))
          problem(where, 'rejected entry names the wrong id', entry.id);
        if (!Array.isArray(entry.errors) || entry.errors.length === 0)
          problem(where, 'rejected entry without errors', entry);
        for (const e of entry.errors ?? [])
          if (typeof e.path !== 'string' || typeof e.code !== 'string' || e.code === '')
            problem(where, 'an error needs a string path and a code', e);
      }
      const rejectedIndexes = new Set(rejected.map((r) => r.index));
      items.forEach((generated, index) => {
        if (generated.expect === 'accept' && rejectedIndexes.has(index))
          problem(where, `event ${index} is valid but was rejected`, rejected);
        if (generated.expect !== 'reject' || generated.bodyError) return;
        if (!rejectedIndexes.has(index))
          return problem(where, `event ${index} is invalid but not listed`, rejected);
        const wanted = generated.error;
        const errors = rejected.find((r) => r.index === index)!.errors;
        if (
          wanted &&
          !errors.some(
            (e) =>
              (wanted.path === '' || e.path === wanted.path) &&
              (wanted.code === undefined || e.code === wanted.code),
          )
        )
          problem(where, `event ${index} lacks an error ${JSON.stringify(wanted)}`, errors);
      });
      if (
        items.some((g) => g.error?.code === 'confidentiality_violation') &&
        error?.['code'] !== 'confidentiality_violation'
      )
        problem(where, 'content in an engine event must answer confidentiality_violation', error);
    };

    let made = 0;
    while (made < CASES) {
      // now and then, send an accepted event again verbatim: same id, first cursor, duplicate
      if (acceptedEvents.length > 0 && rng.chance(0.05)) {
        const again = rng.pick(acceptedEvents);
        stats.repeats++;
        const answer = await fx.post(again.event);
        check(answer, [again]);
        continue;
      }
      const size = rng.chance(0.7) ? 1 : 2 + rng.int(4);
      const items = Array.from({ length: Math.min(size, CASES - made) }, () =>
        generate(rng, made++),
      );
      const body =
        items.length === 1 && rng.chance(0.8) ? items[0]!.event : items.map((g) => g.event);
      check(await fx.post(body), items);
    }

    expect(problems).toEqual([]);
    // the family streams grew by exactly the distinct stored events, nothing else
    const after = await fx.counts();
    const grown = Object.fromEntries(FAMILIES.map((f) => [f, after[f] - before[f]]));
    const expected = Object.fromEntries(
      FAMILIES.map((f) => [
        f,
        [...stored.values()].filter((s) => s.stream === streamName(f)).length,
      ]),
    );
    expect(grown).toEqual(expected);
    // and each stored message is the accepted id at the answered cursor
    for (const { stream, cursor, id } of stored.values()) {
      const message = await fx.jsm.streams.getMessage(stream, { seq: Number(cursor) });
      expect({ stream, cursor, msgId: message?.header.get('Nats-Msg-Id') }).toEqual({
        stream,
        cursor,
        msgId: id,
      });
      expect(message!.json<Rec>()['id']).toBe(id);
    }
    expect(stats.accepted).toBeGreaterThan(30);
    expect(stats.rejected).toBeGreaterThan(30);
    expect(stats.repeats).toBeGreaterThan(0);
  }, 120_000);
});

/** A connection to the stream counts that keeps reconnecting through an outage (the fixture's gives up). */
async function watcher(url: string): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  return { nc, jsm: await jetstreamManager(nc) };
}

async function countsOf(jsm: JetStreamManager): Promise<Record<Family, number>> {
  const entries = await Promise.all(
    FAMILIES.map(async (f) => [f, (await jsm.streams.info(streamName(f))).state.messages] as const),
  );
  return Object.fromEntries(entries) as Record<Family, number>;
}

/** POST with a longer bound than the fixture's 20 s: the publisher waits 4 × 5 s for PubAcks. */
async function postSlow(url: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Rec) : {} };
}

describe('POST /v1/events while JetStream is down', () => {
  let fx: IngestFixture;
  let watch: { nc: NatsConnection; jsm: JetStreamManager };
  beforeAll(async () => {
    fx = await startIngest();
    watch = await watcher(fx.server.url);
  });
  afterAll(async () => {
    await watch?.nc.close().catch(() => undefined);
    await fx?.close();
  }, 30_000);

  it('answers 503 naming what was not written; the same batch retried lands exactly once', async () => {
    const batch = [
      event('trace', 'op_start'),
      event('lease_history', 'acquired'),
      event('completion', 'completed'),
    ];
    const families: Family[] = ['trace', 'lease_history', 'completion'];
    const before = await countsOf(watch.jsm);

    await fx.server.kill();
    const down = await postSlow(fx.url, batch);
    expect(down.status).toBe(503);
    expect(Object.keys(down.body).sort()).toEqual(['accepted', 'error', 'failed']);
    const error = down.body['error'] as Rec;
    expect(error['code']).toBe('unavailable');
    expect(typeof error['message']).toBe('string');
    // the server was dead for the whole request: nothing could be written, all are listed
    expect(down.body['accepted']).toEqual([]);
    const failed = down.body['failed'] as Rec[];
    expect(failed.map((f) => [f['index'], f['id']])).toEqual(batch.map((e, i) => [i, e.id]));
    for (const f of failed) {
      expect(typeof f['code']).toBe('string');
      expect(typeof f['message']).toBe('string');
    }

    await fx.server.start();
    // no event to await in ingest's reconnect: poll its readiness, bounded
    await waitFor(
      'ingest ready again after the NATS restart',
      async () => {
        const response = await fetch(`${fx.url}/health/ready`, {
          signal: AbortSignal.timeout(5_000),
        });
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const retried = await postSlow(fx.url, batch);
    expect(retried.status).toBe(202);
    const items = retried.body['accepted'] as AcceptedItem[];
    // duplicate may be true: the publishes ingest buffered while NATS was down can land on reconnect
    expect(items.map((a) => [a.index, a.id, a.stream, typeof a.duplicate])).toEqual(
      batch.map((e, i) => [i, e.id, streamName(families[i]!), 'boolean']),
    );
    for (const item of items) expect(item.cursor).toMatch(/^\d+$/);
    await watch.nc.flush(); // resolves once the watcher is connected again
    const after = await countsOf(watch.jsm);
    for (const family of FAMILIES)
      expect({ family, grown: after[family] - before[family] }).toEqual({
        family,
        grown: families.includes(family) ? 1 : 0,
      });
    for (const item of items) {
      const message = await watch.jsm.streams.getMessage(item.stream!, {
        seq: Number(item.cursor),
      });
      expect(message!.header.get('Nats-Msg-Id')).toBe(item.id);
    }
  }, 90_000);
});
