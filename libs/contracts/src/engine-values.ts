// The engine confidentiality invariant by value (DESIGN.md §3, engine; NOTES-contracts2):
// a free string could carry a prompt past the rule on property names, so every string an
// engine event carries is an identifier of a fixed shape. Each rule is one anchored
// ECMA-262 pattern: decode's verdict and the published JSON Schema are the same regex.

/** One value rule of the engine family. */
export interface EngineValueRule {
  /** What the rule is about, as messages name it. */
  readonly name: 'route' | 'identifier' | 'source';
  /** The whole rule: an anchored pattern (JSON Schema `pattern`, compiled with the `u` flag). */
  readonly pattern: string;
  /** The most characters a value may have (implied by `pattern`, stated for readers). */
  readonly maxLength: number;
}

/** The characters of an engine identifier: ASCII letters, digits and `. _ : / @ + -`. */
const IDENTIFIER_CHARS = 'A-Za-z0-9._:/@+-';

/**
 * `model`, `provider`, `engine_error.kind`, and the `subject` of an engine event (its key
 * is the model): `llama-3.1-8b-instruct`, `meta-llama/Llama-3.1-8B`, `openai`, `timeout`.
 */
export const ENGINE_IDENTIFIER: EngineValueRule = {
  name: 'identifier',
  pattern: `^[${IDENTIFIER_CHARS}]{1,128}$`,
  maxLength: 128,
};

/**
 * The `source` attribute of an engine event: a URI-reference made of the identifier
 * characters (`engine/qwen3-4b@host-1`, `https://gpu-1.example:8080/vllm`,
 * `urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66`), at most 256 characters.
 */
export const ENGINE_SOURCE: EngineValueRule = {
  name: 'source',
  pattern: `^[${IDENTIFIER_CHARS}]{1,256}$`,
  maxLength: 256,
};

/**
 * `request_served.route`: an absolute path and nothing else (no query, no fragment), made
 * of RFC 3986 path characters (unreserved, sub-delims, `:`, `@`, `/`) plus `{` `}` for
 * route templates (`/v1/models/{model}`); no `%`, so no percent-encoded text. At most 256
 * characters: `/v1/chat/completions`.
 */
export const ENGINE_ROUTE: EngineValueRule = {
  name: 'route',
  pattern: "^/[A-Za-z0-9._~!$&'()*+,;=:@/{}-]{0,255}$",
  maxLength: 256,
};

const compiled = new Map<EngineValueRule, RegExp>();

/** True when `value` satisfies `rule` (exactly the JSON Schema `pattern`). */
export function satisfiesEngineRule(rule: EngineValueRule, value: string): boolean {
  let regex = compiled.get(rule);
  if (regex === undefined) {
    regex = new RegExp(rule.pattern, 'u');
    compiled.set(rule, regex);
  }
  return regex.test(value);
}

/** Whitespace, control characters and invisible format characters (zero-width, bidi). */
const INVISIBLE = /[\s\p{Cc}\p{Cf}]/u;

/**
 * Why `value` breaks `rule`, as the end of a sentence that starts with the field's path;
 * `undefined` when it holds. Never quotes the value: it may be the very secret.
 */
export function engineRuleProblem(rule: EngineValueRule, value: string): string | undefined {
  if (satisfiesEngineRule(rule, value)) return undefined;
  const problem =
    rule === ENGINE_ROUTE && !value.startsWith('/')
      ? 'must be a path: it starts with /'
      : rule === ENGINE_ROUTE && value.includes('?')
        ? 'must be a path without a query string (?)'
        : rule === ENGINE_ROUTE && value.includes('#')
          ? 'must be a path without a fragment (#)'
          : INVISIBLE.test(value)
            ? 'must not contain whitespace or control characters'
            : value.length > rule.maxLength
              ? `must be at most ${rule.maxLength} characters`
              : rule === ENGINE_ROUTE
                ? "may contain only the path characters A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ / { }"
                : 'may contain only A-Z a-z 0-9 and . _ : / @ + -';
  return `${problem}; an engine ${rule.name} is not free text (pattern ${rule.pattern})`;
}
