import { checkEngineConfidentiality, engineValueErrors } from './confidentiality';
import { ENGINE_IDENTIFIER, ENGINE_SOURCE } from './engine-values';
import { type CloudEventEnvelope, ENVELOPE_ATTRIBUTES } from './envelope';
import { type RunlogEvent } from './events';
import {
  contentTypeErrors,
  dataschemaErrors,
  extensionAttributes,
  storedExtensions,
  uriReferenceErrors,
  withoutNullOptionals,
} from './attributes';
import { checkExtension, type ExtensionValue } from './extensions';
import { type Family, parseEventType } from './families';
import { SCHEMAS } from './families/schemas';
import { COMPLETION_OUTCOMES, SIGNAL_EFFECTS } from './families/execution';
import { type OpenEnum } from './families/schema';
import { dataKey, keyOfSubjectAttribute, storedSubject, subjectAttribute } from './keys';
import { err, ok, type Result } from './result';
import { MAX_AGENT_DATA_DEPTH, MAX_DATA_DEPTH, unstorableErrors } from './storable';
import { type ValidationError } from './validation-error';
import { isRfc3339 } from './validation/decorators';
import { isPlainObject, validateShape } from './validation/validate-shape';

export interface DecodeOptions {
  /** Fills `time` when the producer left it out (default: now). */
  readonly receivedAt?: Date;
}

const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set(ENVELOPE_ATTRIBUTES);
/** `id` and `source` travel in NATS headers (`Nats-Msg-Id`, `ce-*`): bounded, one line, untrimmed. */
const MAX_HEADER_VALUE = 1024;
/** A NATS protocol line is at most 4096 bytes; the subject leaves room for the rest. */
export const MAX_SUBJECT_BYTES = 1024;

/**
 * Validates a CloudEvents envelope (structured JSON mode) against DESIGN.md §2 and §3 and
 * returns the typed event, or every failing field named by its path (`data.status_code`).
 * Never throws on bad input. Fills `time` (receive time) and `subject` (derived from
 * `data`) when absent; maps unknown completion outcomes and signal effects to `{other}`.
 */
export function decode(
  raw: unknown,
  options: DecodeOptions = {},
): Result<RunlogEvent, ValidationError[]> {
  if (!isPlainObject(raw)) {
    return err([{ path: '', code: 'invalid_type', message: 'an event must be a JSON object' }]);
  }
  // First, and alone: what no store can hold, found without recursion (the schema's
  // validators recurse, and a value 100,000 levels deep would overflow their stack).
  const type = parseEventType(typeof raw['type'] === 'string' ? raw['type'] : '');
  const family = type.ok ? type.family : undefined;
  const unstorable = unstorableErrors(
    raw,
    family === 'agent' ? MAX_AGENT_DATA_DEPTH : MAX_DATA_DEPTH,
  );
  if (unstorable.length > 0) return err(unstorable);
  const input = withoutNullOptionals(raw);
  const errors: ValidationError[] = [];

  let extensions: Record<string, ExtensionValue> | undefined;
  for (const name of Object.keys(input)) {
    if (KNOWN_ATTRIBUTES.has(name)) continue;
    const verdict = checkExtension(name, input[name], family === 'engine');
    if (!verdict.ok) errors.push(...verdict.errors);
    else if (verdict.value !== undefined) (extensions ??= {})[name] = verdict.value;
  }
  if (input['specversion'] === undefined) errors.push(required('specversion'));
  else if (input['specversion'] !== '1.0') {
    errors.push({
      path: 'specversion',
      code: 'invalid_value',
      message: 'specversion must be "1.0"',
    });
  }
  errors.push(...headerSafe(input, 'id'));
  // An engine source is an identifier (no whitespace, at most 256), which implies headerSafe.
  if (family === 'engine') {
    const source = requiredString(input, 'source');
    errors.push(
      ...(source.length > 0 ? source : engineValueErrors(ENGINE_SOURCE, input['source'], 'source')),
    );
  } else errors.push(...headerSafe(input, 'source'));
  if (!errors.some((e) => e.path === 'source')) errors.push(...uriReferenceErrors(input));
  if (input['type'] === undefined) errors.push(required('type'));
  else if (typeof input['type'] !== 'string') errors.push(wrongType('type', 'a string'));
  else if (!type.ok) errors.push(typeError(type.code, input['type']));

  const time = input['time'];
  if (time !== undefined) {
    if (typeof time !== 'string') errors.push(wrongType('time', 'an RFC 3339 string'));
    else if (!isRfc3339(time)) {
      errors.push({
        path: 'time',
        code: 'invalid_format',
        message: 'time must be an RFC 3339 date-time',
      });
    }
  }
  errors.push(...contentTypeErrors(input['datacontenttype']));
  const dataschema = input['dataschema'];
  errors.push(...dataschemaErrors(dataschema, family === 'engine'));
  const sourceseq = input['sourceseq'];
  if (sourceseq !== undefined) errors.push(...sequenceErrors(sourceseq, 0));
  const subject = input['subject'];
  const subjectErrors = subject === undefined ? [] : requiredString(input, 'subject');
  // An engine event's key is its model: an identifier, whether given or derived.
  if (family === 'engine' && subject !== undefined && subjectErrors.length === 0)
    subjectErrors.push(...engineValueErrors(ENGINE_IDENTIFIER, subject, 'subject'));
  errors.push(...subjectErrors);

  const data = input['data'];
  if (!type.ok || family === undefined) {
    if (data === undefined || data === null) errors.push(required('data'));
    else if (!isPlainObject(data)) errors.push(wrongType('data', 'a JSON object'));
    return err(errors);
  }
  const schema: (typeof SCHEMAS)[Family][never] = SCHEMAS[family][type.kind as never];
  const dataErrors = validateShape(data, schema, 'data');
  if (family === 'engine') {
    const violations = checkEngineConfidentiality(data);
    const flagged = new Set(violations.map((v) => v.path));
    errors.push(...dataErrors.filter((e) => !flagged.has(e.path)), ...violations);
  } else {
    errors.push(...dataErrors);
  }
  if (
    family === 'canonical' &&
    isPlainObject(data) &&
    typeof data['kind'] === 'string' &&
    data['kind'] !== type.kind &&
    !dataErrors.some((e) => e.path === 'data.kind') // one error per path
  ) {
    errors.push({
      path: 'data.kind',
      code: 'invalid_value',
      message: `data.kind must equal the kind of type (${type.kind})`,
    });
  }

  const derived = dataKey(family, data);
  let subjectValue: string | undefined;
  try {
    if (subjectErrors.length > 0) {
      // reported above, one error per path
    } else if (typeof subject === 'string') {
      const given = keyOfSubjectAttribute(family, subject);
      if (given === undefined) {
        errors.push({
          path: 'subject',
          code: 'invalid_format',
          message: 'subject must be two key tokens, <thread>.<run>',
        });
      } else if (derived !== undefined && subjectAttribute(derived) !== subjectAttribute(given)) {
        // An engine key that breaks the rule may be the secret: not quoted back.
        const quoted =
          family !== 'engine' || engineValueErrors(ENGINE_IDENTIFIER, derived, '').length === 0;
        errors.push({
          path: 'subject',
          code: 'invalid_value',
          message: quoted
            ? `subject must be the event's key (${subjectAttribute(derived)})`
            : "subject must be the event's key (data.model)",
        });
      } else subjectValue = subjectAttribute(given);
    } else if (subject === undefined) {
      if (derived !== undefined) subjectValue = subjectAttribute(derived);
      else if (dataErrors.length === 0)
        errors.push({
          ...required('subject'),
          message: 'subject is required when data names no key',
        });
    }
    // The stored subject must be buildable (a key that is not well-formed Unicode is not)
    // and fit a NATS protocol line.
    if (
      subjectValue !== undefined &&
      storedSubject(family, subjectValue).length > MAX_SUBJECT_BYTES
    )
      throw new RangeError(
        `the event's key is too long: its NATS subject would exceed ${MAX_SUBJECT_BYTES} bytes`,
      );
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    subjectValue = undefined;
    errors.push({ path: 'subject', code: 'invalid_format', message: error.message });
  }
  if (errors.length > 0 || subjectValue === undefined) return err(errors);

  const event = {
    family,
    kind: type.kind,
    id: input['id'] as string,
    source: input['source'] as string,
    time: typeof time === 'string' ? time : (options.receivedAt ?? new Date()).toISOString(),
    subject: subjectValue,
    ...(sourceseq === undefined ? {} : { sourceseq: sourceseq as number }),
    ...(dataschema === undefined ? {} : { dataschema: dataschema as string }),
    ...(extensions === undefined ? {} : { extensions }),
    data: openEnums(family, data as Record<string, unknown>),
  };
  return ok(event as RunlogEvent);
}

/**
 * Reads back an event that runlog itself stored: the envelope {@link encode} wrote, after
 * {@link decode} (ingest) or the type system (the bus publisher) checked it. Checks only
 * the structure a consumer relies on (a known `type`, string `id`/`source`/`time`/
 * `subject`, an object `data`) and skips the per-field schema, which costs most of a
 * consumer's CPU. Use {@link decode} for anything a producer sent.
 */
export function decodeStored(input: unknown): Result<RunlogEvent, ValidationError[]> {
  if (!isPlainObject(input)) {
    return err([{ path: '', code: 'invalid_type', message: 'an event must be a JSON object' }]);
  }
  const unstorable = unstorableErrors(input);
  if (unstorable.length > 0) return err(unstorable);
  const errors: ValidationError[] = [];
  const type =
    typeof input['type'] === 'string'
      ? parseEventType(input['type'])
      : ({ ok: false, code: 'invalid_format' } as const);
  if (!type.ok) errors.push(typeError(type.code, describeValue(input['type'])));
  for (const name of ['id', 'source', 'time', 'subject'] as const)
    errors.push(...requiredString(input, name));
  const data = input['data'];
  if (!isPlainObject(data)) errors.push(wrongType('data', 'a JSON object'));
  const sourceseq = input['sourceseq'];
  if (sourceseq !== undefined) errors.push(...sequenceErrors(sourceseq, -Number.MAX_SAFE_INTEGER));
  if (!type.ok || errors.length > 0) return err(errors);
  const dataschema = input['dataschema'];
  const extensions = storedExtensions(input);
  const event = {
    family: type.family,
    kind: type.kind,
    id: input['id'] as string,
    source: input['source'] as string,
    time: input['time'] as string,
    subject: input['subject'] as string,
    ...(sourceseq === undefined ? {} : { sourceseq: sourceseq as number }),
    ...(typeof dataschema === 'string' ? { dataschema } : {}),
    ...(extensions === undefined ? {} : { extensions }),
    data: openEnums(type.family, data as Record<string, unknown>),
  };
  return ok(event as RunlogEvent);
}

/** The structured-mode CloudEvents envelope of a typed event: the inverse of {@link decode}. */
export function encode(event: RunlogEvent): CloudEventEnvelope {
  return {
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type: `runlog.${event.family}.${event.kind}`,
    time: event.time,
    subject: event.subject,
    datacontenttype: 'application/json',
    ...(event.sourceseq === undefined ? {} : { sourceseq: event.sourceseq }),
    ...(event.dataschema === undefined ? {} : { dataschema: event.dataschema }),
    ...(event.extensions === undefined ? {} : extensionAttributes(event.extensions)),
    data: closedEnums(event.family, event.data as unknown as Record<string, unknown>),
  };
}

const utf8 = new TextEncoder();
const remembered = new WeakMap<RunlogEvent, Uint8Array>();

/**
 * The UTF-8 JSON of {@link encode}: the body of the event's NATS message. With `remember`
 * the bytes stay with the event object (events are immutable) and the next call for it,
 * the publisher's, reuses them: ingest's size check and the publish then serialize once.
 * Only for events that are about to be sent and dropped: remembered bytes live as long as
 * the event object does.
 */
export function encodeBytes(event: RunlogEvent, { remember = false } = {}): Uint8Array {
  const known = remembered.get(event);
  if (known !== undefined) return known;
  const bytes = utf8.encode(JSON.stringify(encode(event)));
  if (remember) remembered.set(event, bytes);
  return bytes;
}

/** The NATS subject an event is stored under: `events.<family>.<key tokens>`. */
export function eventSubject(event: Pick<RunlogEvent, 'family' | 'subject'>): string {
  return storedSubject(event.family, event.subject);
}

const OPEN_ENUM_FIELD: Partial<Record<Family, readonly [string, readonly string[]]>> = {
  completion: ['outcome', COMPLETION_OUTCOMES],
  signal_delivery: ['effect', SIGNAL_EFFECTS],
};

function openEnums(family: Family, data: Record<string, unknown>): Record<string, unknown> {
  const field = OPEN_ENUM_FIELD[family];
  if (!field) return data;
  const [name, known] = field;
  const raw = data[name] as string;
  return known.includes(raw)
    ? data
    : { ...data, [name]: { other: raw } satisfies OpenEnum<string> };
}

function closedEnums(family: Family, data: Record<string, unknown>): Record<string, unknown> {
  const field = OPEN_ENUM_FIELD[family];
  if (!field) return data;
  const value = data[field[0]];
  return isPlainObject(value) ? { ...data, [field[0]]: value['other'] } : data;
}

function required(path: string): ValidationError {
  return { path, code: 'required', message: `${path} is required` };
}

function wrongType(path: string, expected: string): ValidationError {
  return { path, code: 'invalid_type', message: `${path} must be ${expected}` };
}

/**
 * `sourceseq`: an integer (else `invalid_type`) from `min` up to 2^53 - 1 (else
 * `out_of_range`: a larger JSON number no longer names one integer).
 */
function sequenceErrors(value: unknown, min: number): ValidationError[] {
  if (typeof value !== 'number' || !Number.isInteger(value))
    return [wrongType('sourceseq', min === 0 ? 'a non-negative integer' : 'an integer')];
  if (value < min || value > Number.MAX_SAFE_INTEGER) {
    const range = min === 0 ? `0..${Number.MAX_SAFE_INTEGER}` : `±${Number.MAX_SAFE_INTEGER}`;
    return [
      { path: 'sourceseq', code: 'out_of_range', message: `sourceseq must be within ${range}` },
    ];
  }
  return [];
}

function requiredString(input: Record<string, unknown>, path: string): ValidationError[] {
  const value = input[path];
  if (value === undefined || value === null) return [required(path)];
  if (typeof value !== 'string') return [wrongType(path, 'a string')];
  if (value.trim() === '') return [{ path, code: 'blank', message: `${path} must not be blank` }];
  return [];
}

/**
 * A required string attribute that is carried in a NATS header: no line breaks (headers
 * cannot hold them), no leading or trailing whitespace (header values are trimmed, so
 * "abc " would dedupe against "abc"), at most {@link MAX_HEADER_VALUE} characters.
 */
function headerSafe(input: Record<string, unknown>, path: string): ValidationError[] {
  const errors = requiredString(input, path);
  const value = input[path];
  if (errors.length > 0 || typeof value !== 'string') return errors;
  const problem = /[\r\n]/.test(value)
    ? 'must not contain line breaks'
    : value.trim() !== value
      ? 'must not start or end with whitespace'
      : value.length > MAX_HEADER_VALUE
        ? `must be at most ${MAX_HEADER_VALUE} characters`
        : undefined;
  return problem ? [{ path, code: 'invalid_format', message: `${path} ${problem}` }] : [];
}

function typeError(
  code: 'invalid_format' | 'unknown_family' | 'unknown_kind',
  type: string,
): ValidationError {
  const message = {
    invalid_format: `type must be runlog.<family>.<kind>, got "${type}"`,
    unknown_family: `type names an unknown family: "${type}"`,
    unknown_kind: `type names an unknown kind for its family: "${type}"`,
  }[code];
  return { path: 'type', code, message };
}

/** A value for an error message; never throws (a null-prototype object has no toString). */
function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : typeof value;
}
