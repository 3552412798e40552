// The steps of decode(), in the order it runs them: the envelope's attributes (with the
// type among them), the data against its kind's schema, then the subject the event is
// stored under. Each returns every error it finds, in the order decode() reports them.
import { checkEngineConfidentiality, engineValueErrors } from './confidentiality';
import { ENGINE_IDENTIFIER, ENGINE_SOURCE } from './engine-values';
import { ENVELOPE_ATTRIBUTES } from './envelope';
import { contentTypeErrors, dataschemaErrors, uriReferenceErrors } from './attributes';
import {
  headerSafe,
  required,
  requiredString,
  sequenceErrors,
  typeError,
  wrongType,
} from './decode-fields';
import { checkExtension, type ExtensionValue } from './extensions';
import { type Family, parseEventType } from './families';
import { SCHEMAS } from './families/schemas';
import { dataKey, keyOfSubjectAttribute, storedSubject, subjectAttribute } from './keys';
import { type ValidationError } from './validation-error';
import { isRfc3339 } from './validation/decorators';
import { isPlainObject, validateShape } from './validation/validate-shape';

const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set(ENVELOPE_ATTRIBUTES);
/** A NATS protocol line is at most 4096 bytes; the subject leaves room for the rest. */
export const MAX_SUBJECT_BYTES = 1024;

type ParsedType = ReturnType<typeof parseEventType>;

/** The `type` attribute, parsed (a non-string parses as invalid): it picks the family's rules. */
export function typeOf(input: Record<string, unknown>): ParsedType {
  return parseEventType(typeof input['type'] === 'string' ? input['type'] : '');
}

/** The errors of the `type` attribute: missing, not a string, or no known family and kind. */
export function typeErrors(input: Record<string, unknown>, type: ParsedType): ValidationError[] {
  if (input['type'] === undefined) return [required('type')];
  if (typeof input['type'] !== 'string') return [wrongType('type', 'a string')];
  return type.ok ? [] : [typeError(type.code, input['type'])];
}

export interface AttributesVerdict {
  readonly errors: ValidationError[];
  readonly extensions: Record<string, ExtensionValue> | undefined;
  /** The errors of `subject` alone, also in `errors`: the subject step skips a bad one. */
  readonly subjectErrors: readonly ValidationError[];
}

/** Every envelope attribute but `data`: extensions, the CloudEvents attributes, the type. */
export function attributeErrors(
  input: Record<string, unknown>,
  type: ParsedType,
  family: Family | undefined,
): AttributesVerdict {
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
  errors.push(...typeErrors(input, type));

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
  errors.push(...dataschemaErrors(input['dataschema'], family === 'engine'));
  const sourceseq = input['sourceseq'];
  if (sourceseq !== undefined) errors.push(...sequenceErrors(sourceseq, 0));
  const subject = input['subject'];
  const subjectErrors = subject === undefined ? [] : requiredString(input, 'subject');
  // An engine event's key is its model: an identifier, whether given or derived.
  if (family === 'engine' && subject !== undefined && subjectErrors.length === 0)
    subjectErrors.push(...engineValueErrors(ENGINE_IDENTIFIER, subject, 'subject'));
  errors.push(...subjectErrors);
  return { errors, extensions, subjectErrors };
}

/** `data` when the type is unknown: only that it is there and an object. */
export function untypedDataErrors(data: unknown): ValidationError[] {
  if (data === undefined || data === null) return [required('data')];
  return isPlainObject(data) ? [] : [wrongType('data', 'a JSON object')];
}

export interface DataVerdict {
  readonly errors: ValidationError[];
  /** The schema's own errors (before the family's rules): the subject step needs valid data. */
  readonly shapeErrors: readonly ValidationError[];
}

/** `data` against its kind's schema, then the family's rules (engine confidentiality, canonical kind). */
export function dataErrors(family: Family, kind: string, data: unknown): DataVerdict {
  const errors: ValidationError[] = [];
  const schema: (typeof SCHEMAS)[Family][never] = SCHEMAS[family][kind as never];
  const shapeErrors = validateShape(data, schema, 'data');
  if (family === 'engine') {
    const violations = checkEngineConfidentiality(data);
    const flagged = new Set(violations.map((v) => v.path));
    errors.push(...shapeErrors.filter((e) => !flagged.has(e.path)), ...violations);
  } else {
    errors.push(...shapeErrors);
  }
  if (
    family === 'canonical' &&
    isPlainObject(data) &&
    typeof data['kind'] === 'string' &&
    data['kind'] !== kind &&
    !shapeErrors.some((e) => e.path === 'data.kind') // one error per path
  ) {
    errors.push({
      path: 'data.kind',
      code: 'invalid_value',
      message: `data.kind must equal the kind of type (${kind})`,
    });
  }
  return { errors, shapeErrors };
}

export interface SubjectVerdict {
  readonly errors: ValidationError[];
  /** The subject attribute the event is stored under; undefined when there is none. */
  readonly value: string | undefined;
}

/**
 * The event's subject: the given one, which must be the key `data` names (when it names
 * one), else the key derived from `data`; its NATS subject must be buildable and fit a
 * protocol line.
 */
export function subjectOf(
  family: Family,
  subject: unknown,
  data: unknown,
  attributes: Pick<AttributesVerdict, 'subjectErrors'>,
  shape: Pick<DataVerdict, 'shapeErrors'>,
): SubjectVerdict {
  const errors: ValidationError[] = [];
  const derived = dataKey(family, data);
  let value: string | undefined;
  try {
    if (attributes.subjectErrors.length > 0) {
      // reported with the attributes, one error per path
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
      } else value = subjectAttribute(given);
    } else if (subject === undefined) {
      if (derived !== undefined) value = subjectAttribute(derived);
      else if (shape.shapeErrors.length === 0)
        errors.push({
          ...required('subject'),
          message: 'subject is required when data names no key',
        });
    }
    // The stored subject must be buildable (a key that is not well-formed Unicode is not)
    // and fit a NATS protocol line.
    if (value !== undefined && storedSubject(family, value).length > MAX_SUBJECT_BYTES)
      throw new RangeError(
        `the event's key is too long: its NATS subject would exceed ${MAX_SUBJECT_BYTES} bytes`,
      );
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    value = undefined;
    errors.push({ path: 'subject', code: 'invalid_format', message: error.message });
  }
  return { errors, value };
}
