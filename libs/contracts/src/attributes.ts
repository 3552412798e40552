// The CloudEvents 1.0.2 rules of single envelope attributes (DESIGN.md §2), for decode.
import { engineValueErrors } from './confidentiality';
import { ENGINE_SOURCE } from './engine-values';
import { ENVELOPE_ATTRIBUTES } from './envelope';
import {
  type ExtensionValue,
  type Extensions,
  isExtensionName,
  RESERVED_EXTENSION_NAMES,
} from './extensions';
import { parseMediaType } from './media-type';
import { isAbsoluteUri, isUriReference } from './uri';
import { type ValidationError } from './validation-error';

const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set(ENVELOPE_ATTRIBUTES);
/** The optional attributes runlog knows: `null` on one means absent (CloudEvents JSON format §2, its type system mapping). */
const OPTIONAL_ATTRIBUTES = ['time', 'subject', 'datacontenttype', 'dataschema', 'sourceseq'];

/**
 * Extensions as top-level attributes (structured mode), without a name that would
 * overwrite a known attribute: decode never yields one, but a typed event built in code could.
 */
export function extensionAttributes(extensions: Extensions): Record<string, ExtensionValue> {
  const attributes: Record<string, ExtensionValue> = {};
  for (const [name, value] of Object.entries(extensions))
    if (isStoredExtension(name)) attributes[name] = value;
  return attributes;
}

function isStoredExtension(name: string): boolean {
  return (
    !KNOWN_ATTRIBUTES.has(name) && !RESERVED_EXTENSION_NAMES.has(name) && isExtensionName(name)
  );
}

/** The extensions of a stored envelope: every other attribute of an extension's name and type. */
export function storedExtensions(input: Record<string, unknown>): Extensions | undefined {
  let extensions: Record<string, ExtensionValue> | undefined;
  for (const name of Object.keys(input)) {
    const value = input[name];
    if (
      isStoredExtension(name) &&
      (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number')
    )
      (extensions ??= {})[name] = value;
  }
  return extensions;
}

/** `input` without its optional attributes that are `null` (absent, for CloudEvents). */
export function withoutNullOptionals(input: Record<string, unknown>): Record<string, unknown> {
  if (!OPTIONAL_ATTRIBUTES.some((name) => input[name] === null)) return input;
  const copy = { ...input };
  for (const name of OPTIONAL_ATTRIBUTES) if (copy[name] === null) delete copy[name];
  return copy;
}

/** `source` is a URI-reference (RFC 3986 §4.1), checked once it is a header-safe string. */
export function uriReferenceErrors(input: Record<string, unknown>): ValidationError[] {
  const source = input['source'];
  if (typeof source !== 'string' || isUriReference(source)) return [];
  return [
    {
      path: 'source',
      code: 'invalid_format',
      message:
        'source must be a URI-reference (RFC 3986): ASCII, no spaces, other characters percent-encoded (engine/qwen3-4b@host-1)',
    },
  ];
}

/**
 * `datacontenttype`: a media type (RFC 2046 syntax), and that of runlog's data, JSON:
 * `application/json`, with any parameters. Stored as `application/json`.
 */
export function contentTypeErrors(value: unknown): ValidationError[] {
  if (value === undefined) return [];
  const media = typeof value === 'string' ? parseMediaType(value) : undefined;
  if (media !== undefined && media.type === 'application' && media.subtype === 'json') return [];
  return [
    {
      path: 'datacontenttype',
      code: 'invalid_value',
      message:
        media === undefined
          ? 'datacontenttype must be a media type (RFC 2046: type/subtype, then ;name=value parameters): application/json'
          : 'datacontenttype must be application/json: runlog data is a JSON object',
    },
  ];
}

/**
 * `dataschema`: an absolute URI (RFC 3986 §4.3: a scheme, no fragment). On an engine
 * event it is also an engine source (identifier characters, no percent-encoded text).
 */
export function dataschemaErrors(value: unknown, engine: boolean): ValidationError[] {
  if (value === undefined) return [];
  if (typeof value !== 'string')
    return [
      { path: 'dataschema', code: 'invalid_type', message: 'dataschema must be a URI string' },
    ];
  const secret = engine ? engineValueErrors(ENGINE_SOURCE, value, 'dataschema') : [];
  if (secret.length > 0) return secret;
  if (isAbsoluteUri(value)) return [];
  return [
    {
      path: 'dataschema',
      code: 'invalid_format',
      message:
        'dataschema must be an absolute URI (RFC 3986 §4.3: a scheme, no fragment), e.g. https://example.com/schemas/acquired.json',
    },
  ];
}
