// Seeded mutations of the valid example events (DESIGN.md §2-§3), each with what ingest
// must answer for it: shared by the property test of POST /v1/events
// (test/ingest/robustness.int-spec.ts) and the fuzzer over every door (test/faults/fuzz).
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
  subjectAttribute,
  suggestsContent,
  checkExtension,
  isUriReference,
} from '@runlog/contracts';
import { seeded, uniqueName } from '@runlog/testing';

export type Rec = Record<string, unknown>;

export class Rng {
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

/** What the mutation must lead to: a 202, a 400 naming it, or either (the schema decides). */
export type Expect = 'accept' | 'reject' | 'either';

export interface Generated {
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
export const PROTOTYPE_NAMES = ['toString', 'hasOwnProperty', 'valueOf', 'constructor'];
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
export function wrongValue(rng: Rng): { value: unknown; label: string } {
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
export function pathsOf(
  value: unknown,
  at: Array<string | number> = [],
): Array<Array<string | number>> {
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

export function parentOf(root: unknown, path: ReadonlyArray<string | number>): Rec | unknown[] {
  let node = root as Rec;
  for (const step of path.slice(0, -1)) node = node[step as string] as Rec;
  return node;
}

/** Adds an own property (a plain assignment of `__proto__` would set the prototype instead). */
export function defineOwn(target: Rec, name: string, value: unknown): void {
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
export function dataPath(path: ReadonlyArray<string | number>): string {
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

export interface GenerateOptions {
  /** Only this family (default: one drawn from the seed). */
  readonly family?: Family;
  /** Changes the valid example before it is mutated (unique keys, say); must keep it valid. */
  readonly prepare?: (event: Rec, family: Family, kind: string) => void;
  /** How often the event is left unmutated (default 0.3). */
  readonly validShare?: number;
}

/** One mutated (or not) event of a random kind, with what ingest must answer for it. */
export function generate(rng: Rng, index: number, options: GenerateOptions = {}): Generated {
  const family = options.family ?? rng.pick(FAMILIES);
  const kind = rng.pick(KINDS[family]);
  const event = exampleEvent(family, kind as never, {
    id: uniqueName(`rb${index}`),
  }) as unknown as Rec;
  options.prepare?.(event, family, kind);
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
  const outcome = (rng.chance(options.validShare ?? 0.3) ? mutations[0]! : rng.pick(mutations))();
  return { ...base, ...outcome };
}
