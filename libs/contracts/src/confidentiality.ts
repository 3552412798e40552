import { engineRuleProblem, type EngineValueRule } from './engine-values';
import { type ValidationError } from './validation-error';
import { forEachProperty } from './validation/validate-shape';

/** Words that make a property name suggest prompt or response content (DESIGN.md §3, engine). */
export const CONTENT_WORDS: ReadonlySet<string> = new Set([
  'prompt',
  'response',
  'content',
  'message',
  'completion',
  'text',
  'input',
  'output',
]);

/** True when a property name suggests content: one of its words (snake, kebab or camel case) is a content word, singular or plural. */
export function suggestsContent(name: string): boolean {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2') // camelCase
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2') // HTTPResponse
    .replace(/([A-Za-z])([0-9])/g, '$1_$2') // prompt2
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some(
      (word) =>
        CONTENT_WORDS.has(word) || (word.endsWith('s') && CONTENT_WORDS.has(word.slice(0, -1))),
    );
}

/**
 * The engine confidentiality rule: no engine event may carry prompt or response content.
 * Every property, at any depth, whose name suggests content is reported with code
 * `confidentiality_violation`, whatever its value.
 */
export function checkEngineConfidentiality(value: unknown, path = 'data'): ValidationError[] {
  const found: ValidationError[] = [];
  forEachProperty(value, path, (key, at) => {
    if (suggestsContent(key))
      found.push({
        path: at,
        code: 'confidentiality_violation',
        message: `${at}: engine events must not carry prompt or response content`,
      });
  });
  return found;
}

/**
 * The engine confidentiality rule by value, for a string outside `data` (the envelope's
 * `source` and `subject`): `confidentiality_violation` when `value` is a string that
 * breaks `rule`. The message names the rule, never the value. Other types are not its to judge.
 */
export function engineValueErrors(
  rule: EngineValueRule,
  value: unknown,
  path: string,
): ValidationError[] {
  const problem = typeof value === 'string' ? engineRuleProblem(rule, value) : undefined;
  return problem === undefined
    ? []
    : [{ path, code: 'confidentiality_violation', message: `${path} ${problem}` }];
}
