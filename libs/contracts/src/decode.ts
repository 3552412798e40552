import { type CloudEventEnvelope } from './envelope';
import { type RunlogEvent } from './events';
import { extensionAttributes, storedExtensions, withoutNullOptionals } from './attributes';
import { attributeErrors, dataErrors, subjectOf, typeOf, untypedDataErrors } from './decode-steps';
import {
  describeValue,
  requiredString,
  sequenceErrors,
  typeError,
  wrongType,
} from './decode-fields';
import { eventType, type Family, parseEventType } from './families';
import { COMPLETION_OUTCOMES, SIGNAL_EFFECTS } from './families/execution';
import { type OpenEnum } from './families/schema';
import { storedSubject } from './keys';
import { err, ok, type Result } from './result';
import { MAX_AGENT_DATA_DEPTH, MAX_DATA_DEPTH, unstorableErrors } from './storable';
import { type ValidationError } from './validation-error';
import { isPlainObject } from './validation/validate-shape';

export { MAX_SUBJECT_BYTES } from './decode-steps';

export interface DecodeOptions {
  /** Fills `time` when the producer left it out (default: now). */
  readonly receivedAt?: Date;
}

/**
 * Validates a CloudEvents envelope (structured JSON mode) against DESIGN.md §2 and §3 and
 * returns the typed event, or every failing field named by its path (`data.status_code`).
 * Never throws on bad input. Fills `time` (receive time) and `subject` (derived from
 * `data`) when absent; maps unknown completion outcomes and signal effects to `{other}`.
 * The steps (decode-steps.ts): attributes (the type among them), data, subject.
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
  const type = typeOf(raw);
  const family = type.ok ? type.family : undefined;
  const unstorable = unstorableErrors(
    raw,
    family === 'agent' ? MAX_AGENT_DATA_DEPTH : MAX_DATA_DEPTH,
  );
  if (unstorable.length > 0) return err(unstorable);
  const input = withoutNullOptionals(raw);

  const attributes = attributeErrors(input, type, family);
  const data = input['data'];
  if (!type.ok || family === undefined)
    return err([...attributes.errors, ...untypedDataErrors(data)]);
  const checked = dataErrors(family, type.kind, data);
  const subject = subjectOf(family, input['subject'], data, attributes, checked);
  const errors = [...attributes.errors, ...checked.errors, ...subject.errors];
  if (errors.length > 0 || subject.value === undefined) return err(errors);

  const { time, sourceseq, dataschema } = input;
  const { extensions } = attributes;
  const event = {
    family,
    kind: type.kind,
    id: input['id'] as string,
    source: input['source'] as string,
    time: typeof time === 'string' ? time : (options.receivedAt ?? new Date()).toISOString(),
    subject: subject.value,
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
    type: eventType(event.family, event.kind),
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
