import { type ValidationError } from './validation-error';

/** How deep `data` may nest (objects and arrays), DESIGN.md §2: deeper is refused at the door. */
export const MAX_DATA_DEPTH = 64;
/**
 * How deep an agent event's `data` may nest: one level less, because the normalizer copies
 * it into `data.payload` of each canonical event, which must keep {@link MAX_DATA_DEPTH}.
 */
export const MAX_AGENT_DATA_DEPTH = MAX_DATA_DEPTH - 1;
/** A refused value stops the walk after this many errors: an answer stays small. */
const MAX_ERRORS = 20;

/** NUL, or a UTF-16 surrogate without its pair: PostgreSQL's text and jsonb cannot hold either. */
const NUL = String.fromCharCode(0);
const UNSTORABLE_CHAR = new RegExp(
  `${NUL}|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]`,
);

/** True when a string holds NUL or a lone surrogate. */
export function hasUnstorableChar(value: string): boolean {
  return UNSTORABLE_CHAR.test(value);
}

interface Frame {
  readonly value: unknown;
  readonly path: string;
  /** Containers above this value, counted from the envelope's attributes (`data` is at 0). */
  readonly depth: number;
}

/**
 * Finds what the stores cannot hold anywhere in an event (DESIGN.md §2): NUL or a lone
 * surrogate in any string or property name, a number that is not finite, and `data`
 * nested deeper than `maxDepth` ({@link MAX_DATA_DEPTH}). Iterative, so input of any depth is walked
 * without recursion (a 100,000-deep value must not overflow the stack), and it never
 * throws. Runs before the schema, whose validators recurse.
 */
export function unstorableErrors(
  input: Readonly<Record<string, unknown>>,
  maxDepth = MAX_DATA_DEPTH,
): ValidationError[] {
  const errors: ValidationError[] = [];
  const stack: Frame[] = [];
  for (const name of Object.keys(input)) {
    if (hasUnstorableChar(name)) errors.push(badKey('', name));
    else stack.push({ value: input[name], path: name, depth: 0 });
  }
  while (stack.length > 0 && errors.length < MAX_ERRORS) {
    const { value, path, depth } = stack.pop() as Frame;
    if (typeof value === 'string') {
      if (hasUnstorableChar(value)) {
        errors.push({
          path,
          code: 'invalid_value',
          message: `${path} must not contain NUL or an unpaired UTF-16 surrogate`,
        });
      }
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        errors.push({ path, code: 'out_of_range', message: `${path} must be a finite number` });
      }
    } else if (typeof value === 'object' && value !== null) {
      if (depth + 1 > maxDepth) {
        errors.push({
          path,
          code: 'too_deep',
          message: `${path} nests deeper than ${maxDepth} levels`,
        });
        continue;
      }
      if (Array.isArray(value)) {
        for (let index = value.length - 1; index >= 0; index--)
          stack.push({ value: value[index], path: `${path}[${index}]`, depth: depth + 1 });
      } else {
        const record = value as Record<string, unknown>;
        const names = Object.keys(record);
        for (let index = names.length - 1; index >= 0; index--) {
          const name = names[index] as string;
          if (hasUnstorableChar(name)) errors.push(badKey(path, name));
          else stack.push({ value: record[name], path: childPath(path, name), depth: depth + 1 });
        }
      }
    }
  }
  return errors;
}

function childPath(parent: string, name: string): string {
  return `${parent}.${name}`;
}

function badKey(parent: string, name: string): ValidationError {
  // JSON.stringify escapes NUL and lone surrogates, so the path itself is printable.
  const path = `${parent}[${JSON.stringify(name)}]`;
  return {
    path,
    code: 'invalid_value',
    message: `${path}: a property name must not contain NUL or an unpaired UTF-16 surrogate`,
  };
}
