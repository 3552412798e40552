// CloudEvents 1.0.2 extension attributes (docs/decisions.md D34, D35):
// names of lowercase a-z and 0-9, values of the type system as JSON carries them.
import { CONTENT_WORDS, engineValueErrors, suggestsContent } from './confidentiality';
import { ENGINE_IDENTIFIER, satisfiesEngineRule } from './engine-values';
import { type ValidationError } from './validation-error';

/**
 * An extension attribute's value. The CloudEvents type system's Boolean, Integer (32-bit
 * signed) and String; a Binary (base64), URI, URI-reference or Timestamp is a string in JSON.
 */
export type ExtensionValue = string | number | boolean;

/** The extension attributes of an event, by name. */
export type Extensions = Readonly<Record<string, ExtensionValue>>;

/**
 * The longest extension name runlog takes. The spec says names SHOULD NOT exceed 20
 * characters (a producer's duty); a receiver that refused a 21-character name would refuse
 * a valid event, so runlog takes up to 64 and refuses longer, like any other bound.
 */
export const MAX_EXTENSION_NAME = 64;

const EXTENSION_NAME = new RegExp(`^[a-z0-9]{1,${MAX_EXTENSION_NAME}}$`);

/**
 * Names a delivered event, a lease history event or an SSE frame already uses beside the
 * CloudEvents attributes: an extension may not take them, so no answer has two meanings
 * for one name.
 */
export const RESERVED_EXTENSION_NAMES: ReadonlySet<string> = new Set([
  'cursor',
  'family',
  'kind',
  'extensions',
]);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** W3C Trace Context `traceparent`: version, trace id, parent id, flags (lower-case hex). */
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
/** W3C Trace Context `tracestate` key: `vendor` or `tenant@vendor`. */
const TRACESTATE_KEY =
  /^(?:[a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})$/;
/** A `tracestate` value: printable ASCII but `,` and `=`, not ending in a space. */
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const TRACESTATE_MAX_MEMBERS = 32;

/** True when `name` is an extension attribute name runlog takes (not checking reserved names). */
export function isExtensionName(name: string): boolean {
  return EXTENSION_NAME.test(name);
}

/** What one top-level attribute that is not a known one turned out to be. */
export type ExtensionVerdict =
  | { readonly ok: true; readonly value: ExtensionValue | undefined }
  | { readonly ok: false; readonly errors: readonly ValidationError[] };

/**
 * Checks one extension attribute of an event (structured mode, or a `ce-<name>` header in
 * binary mode): its name, then its value. `null` means absent (`value: undefined`). On an
 * engine event (`engine`), a name that suggests content is a `confidentiality_violation`
 * whatever its value, and every string value must be an engine identifier, but
 * `traceparent` and `tracestate` in their W3C forms (a tracestate value may not hold text).
 */
export function checkExtension(name: string, value: unknown, engine: boolean): ExtensionVerdict {
  if (engine && suggestsContentByName(name)) {
    return refused({
      path: name,
      code: 'confidentiality_violation',
      message: `${name}: engine events must not carry prompt or response content`,
    });
  }
  const nameProblem = extensionNameProblem(name);
  if (nameProblem !== undefined)
    return refused({ path: name, code: 'unknown_property', message: nameProblem });
  if (value === null || value === undefined) return { ok: true, value: undefined };
  if (name === 'traceparent' || name === 'tracestate') {
    if (typeof value !== 'string')
      return refused({ path: name, code: 'invalid_type', message: `${name} must be a string` });
    const problem =
      name === 'traceparent' ? traceparentProblem(value) : tracestateProblem(value, engine);
    if (problem === undefined) return { ok: true, value };
    return refused({
      path: name,
      code: engine && name === 'tracestate' ? 'confidentiality_violation' : 'invalid_format',
      message: `${name} ${problem}`,
    });
  }
  if (typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      return refused({
        path: name,
        code: 'invalid_type',
        message: `${name} must be a string, an integer or a boolean: a CloudEvents Integer is whole (send other numbers as strings)`,
      });
    if (value < INT32_MIN || value > INT32_MAX)
      return refused({
        path: name,
        code: 'out_of_range',
        message: `${name} must be within ${INT32_MIN}..${INT32_MAX}: a CloudEvents Integer is 32-bit signed (send larger ones as strings)`,
      });
    return { ok: true, value };
  }
  if (typeof value === 'string') {
    const errors = engine ? engineValueErrors(ENGINE_IDENTIFIER, value, name) : [];
    return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
  }
  return refused({
    path: name,
    code: 'invalid_type',
    message: `${name} must be a string, an integer or a boolean (the CloudEvents type system; Binary, URI, URI-reference and Timestamp values are strings)`,
  });
}

/** Why `name` cannot be an extension attribute, or `undefined` when it can. */
function extensionNameProblem(name: string): string | undefined {
  if (name === 'data_base64')
    return 'data_base64 is not accepted: runlog data is a JSON object, sent as data';
  if (RESERVED_EXTENSION_NAMES.has(name))
    return `${name} is reserved: runlog's delivered events carry their own ${name}`;
  if (!isExtensionName(name))
    return `${name} is not a CloudEvents attribute runlog accepts: an extension name is 1 to ${MAX_EXTENSION_NAME} lowercase letters a-z and digits 0-9`;
  return undefined;
}

/**
 * The engine rule on names: a lowercase extension name has no word boundaries to split
 * on, so any content word inside it counts (`userprompt`, and `context` too: it holds
 * `text`). Names of other shapes are split into words as in `data`.
 */
function suggestsContentByName(name: string): boolean {
  if (suggestsContent(name)) return true;
  if (!isExtensionName(name)) return false;
  for (const word of CONTENT_WORDS) if (name.includes(word)) return true;
  return false;
}

function traceparentProblem(value: string): string | undefined {
  return TRACEPARENT.test(value)
    ? undefined
    : 'must be a W3C Trace Context traceparent: <version>-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, lower case, ids not all zero';
}

/**
 * W3C Trace Context `tracestate`: at most 32 comma-separated `key=value` members (empty
 * ones ignored). On an engine event each value must also be an engine identifier.
 */
function tracestateProblem(value: string, engine: boolean): string | undefined {
  const members = value.split(',').map((member) => member.replace(/^[ \t]+|[ \t]+$/g, ''));
  const present = members.filter((member) => member !== '');
  if (present.length > TRACESTATE_MAX_MEMBERS)
    return `must have at most ${TRACESTATE_MAX_MEMBERS} list members`;
  for (const member of present) {
    const at = member.indexOf('=');
    const key = member.slice(0, at);
    const memberValue = member.slice(at + 1);
    if (at < 0 || !TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(memberValue))
      return 'must be a W3C Trace Context tracestate: comma-separated key=value members';
    if (engine && !satisfiesEngineRule(ENGINE_IDENTIFIER, memberValue))
      return `values must be engine identifiers on an engine event (pattern ${ENGINE_IDENTIFIER.pattern}); a tracestate is not free text`;
  }
  return undefined;
}

function refused(error: ValidationError): ExtensionVerdict {
  return { ok: false, errors: [error] };
}

/** The Distributed Tracing extension's attributes, which also travel as NATS headers (DESIGN.md §2). */
export const TRACE_CONTEXT_ATTRIBUTES = ['traceparent', 'tracestate'] as const;

/**
 * The NATS headers of an event's Distributed Tracing extension: `traceparent` and
 * `tracestate` as they are, each only when it is in its W3C form (a typed event built in
 * code skipped decode), so a header never holds a line break.
 */
export function traceContextHeaders(
  extensions: Extensions | undefined,
): Array<readonly [string, string]> {
  if (extensions === undefined) return [];
  const headers: Array<readonly [string, string]> = [];
  for (const name of TRACE_CONTEXT_ATTRIBUTES) {
    const value = extensions[name];
    if (typeof value === 'string' && checkExtension(name, value, false).ok)
      headers.push([name, value]);
  }
  return headers;
}
