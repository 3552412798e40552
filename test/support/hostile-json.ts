// Hostile JSON for the fuzzer (issue 17): what a producer that means harm, or a broken one,
// sends: nesting past the limit, NUL and lone surrogates in values and property names,
// huge strings and numbers (some past what a double holds), prototype names as keys, and
// values of the wrong type. Each mutation changes an event in place and names itself;
// whether the event stays valid is for the contract to say (the fuzzer asks `decode`).
import { MAX_DATA_DEPTH } from '@runlog/contracts';
import { defineOwn, pathsOf, parentOf, type Rec, type Rng, wrongValue } from './event-mutations';

type Path = ReadonlyArray<string | number>;

/**
 * What JSON.stringify cannot write, held in a marker string that {@link hostileText}
 * replaces: a number literal no double holds (`1e999`, 400 digits), and nesting deeper than
 * its recursion goes.
 */
const RAW_NUMBER = '\u0002raw-number:';
const RAW_NUMBER_JSON = /"\\u0002raw-number:([-+.eE0-9]+)"/g;
const NESTED = '\u0002nested:';
const NESTED_JSON = /"\\u0002nested:(\d+):(object|array|mixed)"/g;

/** The JSON text of an event, with the raw number literals and deep values in place. */
export function hostileText(event: unknown): string {
  return JSON.stringify(event)
    .replace(RAW_NUMBER_JSON, '$1')
    .replace(NESTED_JSON, (_, depth: string, shape: Shape) => nestedText(Number(depth), shape));
}

type Shape = 'object' | 'array' | 'mixed';

/** The text of a value nested `depth` levels deep (objects, arrays or both). */
function nestedText(depth: number, shape: Shape): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let level = depth - 1; level >= 0; level--) {
    const array = shape === 'array' || (shape === 'mixed' && level % 2 === 1);
    open.push(array ? '[' : '{"a":');
    close.push(array ? ']' : '}');
  }
  return `${open.join('')}"bottom"${close.reverse().join('')}`;
}

/** A value nested `depth` levels deep, written as text by {@link hostileText}. */
export function nested(depth: number, shape: Shape): string {
  return `${NESTED}${depth}:${shape}`;
}

const NUMBER_LITERALS = [
  '1e999', // Infinity once parsed
  '-1e999',
  `1${'0'.repeat(400)}`, // an integer literal no double holds
  `1${'0'.repeat(300)}`, // finite, far past the safe integers
  '9007199254740993', // 2^53 + 1
  '1e308',
  '-1.7976931348623157e308',
  '5e-324',
  '-0',
  '0.1e-400',
];

/** The containers of `data` (itself included) that are plain objects, as paths. */
function objectPaths(data: Rec): Path[] {
  return [[], ...pathsOf(data)].filter((path) => {
    const node = valueAt(data, path);
    return typeof node === 'object' && node !== null && !Array.isArray(node);
  });
}

function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, step) => (node as Rec)[step as string], root);
}

function setAt(data: Rec, path: Path, value: unknown): void {
  (parentOf(data, path) as Rec)[path[path.length - 1] as string] = value;
}

/** A path holding a string (or any leaf when there is none), and a new slot as a fallback. */
function leafPath(rng: Rng, data: Rec, want: 'string' | 'number' | 'any'): Path {
  const leaves = pathsOf(data).filter((path) => {
    const value = valueAt(data, path);
    return want === 'any' ? typeof value !== 'object' || value === null : typeof value === want;
  });
  return leaves.length > 0 ? rng.pick(leaves) : ['fuzz'];
}

const describePath = (path: Path) => (path.length === 0 ? 'data' : `data.${path.join('.')}`);

/** The hostile mutations: each changes `event` (its `data` is a plain object) and names what it did. */
const MUTATIONS: ReadonlyArray<(rng: Rng, event: Rec, data: Rec) => string> = [
  (rng, _event, data) => {
    // past the limit: too_deep, wherever it is put
    const depth = MAX_DATA_DEPTH + rng.pick([1, 2, 10, 500, 5_000]);
    const shape = rng.pick(['object', 'array', 'mixed'] as const);
    const at = rng.pick(objectPaths(data));
    defineOwn(valueAt(data, at) as Rec, 'deep', nested(depth, shape));
    return `${shape} ${depth} deep at ${describePath(at)}.deep`;
  },
  (rng, _event, data) => {
    // at or just under the limit (MAX_DATA_DEPTH; agent data one less): the contract decides
    const at = rng.pick(objectPaths(data));
    const depth = MAX_DATA_DEPTH - at.length - 1 - rng.int(3);
    defineOwn(valueAt(data, at) as Rec, 'deep', nested(depth, 'mixed'));
    return `${depth} deep (near the limit) at ${describePath(at)}.deep`;
  },
  (rng, _event, data) => {
    const path = leafPath(rng, data, 'string');
    const before = valueAt(data, path);
    const text = typeof before === 'string' ? before : 'text';
    const cut = rng.int(text.length + 1);
    const bad = rng.pick(['\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF']);
    setAt(data, path, `${text.slice(0, cut)}${bad}${text.slice(cut)}`);
    return `${JSON.stringify(bad)} in ${describePath(path)}`;
  },
  (rng, _event, data) => {
    const bad = rng.pick(['\u0000', '\uD83D', '\uDE00']);
    const at = rng.pick(objectPaths(data));
    defineOwn(valueAt(data, at) as Rec, `key${bad}name`, 1);
    return `${JSON.stringify(bad)} in a property name at ${describePath(at)}`;
  },
  (rng, event) => {
    const name = rng.pick(['id', 'source', 'subject', 'time'] as const);
    const before = event[name];
    const bad = rng.pick(['\u0000', '\uD800', '\uDFFF']);
    event[name] = `${typeof before === 'string' ? before : 'x'}${bad}`;
    return `${JSON.stringify(bad)} in ${name}`;
  },
  (rng, _event, data) => {
    // a well-formed surrogate pair, a BOM and bidi marks: storable, the schema decides
    const path = leafPath(rng, data, 'string');
    const before = valueAt(data, path);
    setAt(data, path, `${typeof before === 'string' ? before : ''}😀\uFEFF\u202E`);
    return `paired surrogates and marks in ${describePath(path)}`;
  },
  (rng, _event, data) => {
    const size = rng.pick([10_000, 100_000, 300_000]);
    const path = leafPath(rng, data, 'string');
    setAt(data, path, `${rng.int(1e9)}-${'x'.repeat(size)}`);
    return `a string of ${size} characters at ${describePath(path)}`;
  },
  (rng, _event, data) => {
    const size = rng.pick([1_000, 20_000]);
    const at = rng.pick(objectPaths(data));
    defineOwn(valueAt(data, at) as Rec, 'k'.repeat(size), true);
    return `a property name of ${size} characters at ${describePath(at)}`;
  },
  (rng, _event, data) => {
    const at = rng.pick(objectPaths(data));
    const wide: Rec = {};
    for (let i = 0; i < 5_000; i++) wide[`k${i}`] = i;
    defineOwn(valueAt(data, at) as Rec, 'wide', wide);
    return `an object of 5000 properties at ${describePath(at)}.wide`;
  },
  (rng, _event, data) => {
    const literal = rng.pick(NUMBER_LITERALS);
    const path = rng.chance(0.7) ? leafPath(rng, data, 'number') : leafPath(rng, data, 'any');
    setAt(data, path, `${RAW_NUMBER}${literal}`);
    return `number ${literal.length > 20 ? `${literal.slice(0, 8)}…(${literal.length})` : literal} at ${describePath(path)}`;
  },
  (rng, event) => {
    const literal = rng.pick(NUMBER_LITERALS);
    event['sourceseq'] = `${RAW_NUMBER}${literal}`;
    return `sourceseq ${literal.slice(0, 20)}`;
  },
  (rng, event, data) => {
    const name = rng.pick(['__proto__', 'constructor', 'prototype']);
    const value = rng.pick<unknown>([
      { polluted: true },
      { prototype: { polluted: true } },
      'string',
      null,
      [1],
    ]);
    const into = rng.chance(0.25) ? event : (valueAt(data, rng.pick(objectPaths(data))) as Rec);
    defineOwn(into, name, value);
    return `own property ${name} = ${JSON.stringify(value)} in ${into === event ? 'the envelope' : 'data'}`;
  },
  (rng, event, data) => {
    const { value, label } = wrongValue(rng);
    if (rng.chance(0.3)) {
      const name = rng.pick(['specversion', 'id', 'source', 'type', 'time', 'subject', 'data']);
      event[name] = value;
      return `${name} = ${label}`;
    }
    const path = leafPath(rng, data, 'any');
    setAt(data, path, value);
    return `${describePath(path)} = ${label}`;
  },
];

/** Applies one hostile mutation to a valid event and names it. */
export function mutateHostile(rng: Rng, event: Rec): string {
  const data = event['data'];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'none (no data)';
  return rng.pick(MUTATIONS)(rng, event, data as Rec);
}
