import { type Family } from './families';
import { decodeKeyToken, encodeKeyToken, familySubject, type SubjectKey } from './subjects';
import { isPlainObject } from './validation/validate-shape';

/** Families keyed by two tokens, `<thread_id>.<run_id>` (docs/decisions.md D6). */
export function hasPairKey(family: Family): family is 'agent' | 'canonical' {
  return family === 'agent' || family === 'canonical';
}

/** The `data` field that is a family's partition key (the pair-keyed families excepted). */
export const KEY_FIELD: Readonly<Record<Exclude<Family, 'agent' | 'canonical'>, string>> = {
  engine: 'model',
  lease_history: 'execution_id',
  completion: 'execution_id',
  signal_delivery: 'execution_id',
  instance_tags: 'execution_id',
  trace: 'request_id',
  pipeline: 'node_id',
  producer: 'source',
};

function nonBlank(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

/**
 * The partition key a family's `data` names (DESIGN.md §3), or `undefined` when the data
 * has none (an `engine_error` without `model`; a canonical fact without both scopes).
 */
export function dataKey(family: Family, data: unknown): SubjectKey | undefined {
  if (!isPlainObject(data)) return undefined;
  if (family === 'agent') {
    const { thread_id: thread, run_id: run } = data;
    return nonBlank(thread) && nonBlank(run) ? [thread, run] : undefined;
  }
  if (family === 'canonical') {
    const scopes = Array.isArray(data['scopes']) ? (data['scopes'] as unknown[]) : [];
    const idOf = (type: string): unknown =>
      scopes.find(
        (scope) => isPlainObject(scope) && scope['type'] === type && nonBlank(scope['id']),
      )?.['id' as never];
    const thread = idOf('thread');
    const run = idOf('run');
    return nonBlank(thread) && nonBlank(run) ? [thread, run] : undefined;
  }
  const value = data[KEY_FIELD[family]];
  return nonBlank(value) ? value : undefined;
}

/** The CloudEvents `subject` attribute for a key: the key itself, or two key tokens joined by `.`. */
export function subjectAttribute(key: SubjectKey): string {
  return typeof key === 'string' ? key : `${encodeKeyToken(key[0])}.${encodeKeyToken(key[1])}`;
}

/** The inverse of {@link subjectAttribute} for a family; `undefined` when malformed. */
export function keyOfSubjectAttribute(family: Family, subject: string): SubjectKey | undefined {
  if (!hasPairKey(family)) return subject;
  const tokens = subject.split('.');
  if (tokens.length !== 2) return undefined;
  try {
    return [decodeKeyToken(tokens[0] ?? ''), decodeKeyToken(tokens[1] ?? '')];
  } catch {
    return undefined;
  }
}

/** Where an event with this `subject` attribute is stored: `events.<family>.<key tokens>`. */
export function storedSubject(family: Family, subject: string): string {
  const key = keyOfSubjectAttribute(family, subject);
  if (key === undefined) throw new RangeError(`not a ${family} subject: ${subject}`);
  return familySubject(family, key);
}
