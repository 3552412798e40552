// The attribute checks decode() and decodeStored() share: each returns the errors of one
// attribute, named by its path.
import { type ValidationError } from './validation-error';

/** `id` and `source` travel in NATS headers (`Nats-Msg-Id`, `ce-*`): bounded, one line, untrimmed. */
const MAX_HEADER_VALUE = 1024;

export function required(path: string): ValidationError {
  return { path, code: 'required', message: `${path} is required` };
}

export function wrongType(path: string, expected: string): ValidationError {
  return { path, code: 'invalid_type', message: `${path} must be ${expected}` };
}

/**
 * `sourceseq`: an integer (else `invalid_type`) from `min` up to 2^53 - 1 (else
 * `out_of_range`: a larger JSON number no longer names one integer).
 */
export function sequenceErrors(value: unknown, min: number): ValidationError[] {
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

export function requiredString(input: Record<string, unknown>, path: string): ValidationError[] {
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
export function headerSafe(input: Record<string, unknown>, path: string): ValidationError[] {
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

export function typeError(
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
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : typeof value;
}
