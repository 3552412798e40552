import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError as ClassValidatorError } from 'class-validator';
import { type KindSchema } from '../families/schema';
import { type ValidationCode, type ValidationError } from '../validation-error';
import { conformsToDeclarations } from './compiled-shape';
import { CONSTRAINTS } from './decorators';

const CODE_OF_CONSTRAINT: Readonly<Record<string, ValidationCode>> = {
  isDefined: 'required',
  [CONSTRAINTS.present]: 'required',
  isString: 'invalid_type',
  isInt: 'invalid_type',
  isNumber: 'invalid_type',
  isArray: 'invalid_type',
  nestedValidation: 'invalid_type',
  [CONSTRAINTS.jsonObject]: 'invalid_type',
  [CONSTRAINTS.stringArray]: 'invalid_type',
  [CONSTRAINTS.timestampType]: 'invalid_type',
  [CONSTRAINTS.notBlank]: 'blank',
  isIn: 'invalid_value',
  [CONSTRAINTS.timestampFormat]: 'invalid_format',
  [CONSTRAINTS.decimalCursor]: 'invalid_format',
  maxLength: 'invalid_format',
  [CONSTRAINTS.engineValue]: 'confidentiality_violation',
  min: 'out_of_range',
  max: 'out_of_range',
  whitelistValidation: 'unknown_property',
};

// One error per field: the most fundamental failure wins (a missing field is not also
// "not a string").
const PRIORITY: readonly ValidationCode[] = [
  'required',
  'invalid_type',
  'blank',
  'invalid_value',
  'invalid_format',
  'out_of_range',
  'confidentiality_violation',
  'unknown_property',
];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `data` + `status_code` -> `data.status_code`; array indexes as `scopes[0]`. */
export function joinPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

/**
 * Validates a JSON value against one kind's class and returns every failing field with
 * its path from `path`. Unknown properties are errors unless the schema is open.
 *
 * A value that conforms (nearly every event) is recognised by the kind's compiled
 * validator in a few microseconds; only a value that does not is walked by
 * class-validator, which names each failing field.
 */
export function validateShape(value: unknown, schema: KindSchema, path: string): ValidationError[] {
  const compiled =
    isPlainObject(value) && !hasReservedName(value)
      ? compiledErrors(value, schema, path)
      : undefined;
  return compiled ?? explainShape(value, schema, path);
}

/** {@link validateShape} without the compiled fast path: class-validator on every value. */
export function explainShape(value: unknown, schema: KindSchema, path: string): ValidationError[] {
  if (!isPlainObject(value)) {
    return [
      value === undefined || value === null
        ? { path, code: 'required', message: `${path} is required` }
        : { path, code: 'invalid_type', message: `${path} must be a JSON object` },
    ];
  }
  const reserved = reservedNames(value, path);
  if (reserved.length > 0) return reserved;
  const instance = plainToInstance(schema.cls, value);
  const failures = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: schema.open !== true,
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  const errors = failures.flatMap((failure) => flatten(failure, path));
  if (schema.check) {
    const failed = new Set(errors.map((error) => error.path));
    errors.push(...schema.check(value, path).filter((error) => !failed.has(error.path)));
  }
  if (schema.payload && isPlainObject(value['payload'])) {
    errors.push(...explainShape(value['payload'], schema.payload, joinPath(path, 'payload')));
  }
  return errors;
}

/**
 * The errors of a value whose every field conforms on its own, per the compiled validator
 * (its `payload` slot too): only its cross-field `check` rules can fail. `undefined` when
 * some field does not conform, which is class-validator's to explain.
 */
function compiledErrors(
  value: Record<string, unknown>,
  schema: KindSchema,
  path: string,
): ValidationError[] | undefined {
  if (!conformsToDeclarations(schema, value)) return undefined;
  const errors = schema.check ? schema.check(value, path) : [];
  const payload = value['payload'];
  if (schema.payload && isPlainObject(payload)) {
    const inner = compiledErrors(payload, schema.payload, joinPath(path, 'payload'));
    if (inner === undefined) return undefined;
    errors.push(...inner);
  }
  return errors;
}

function flatten(failure: ClassValidatorError, parent: string): ValidationError[] {
  const path = joinPath(parent, failure.property);
  const own = failure.constraints ? [pick(failure.constraints, path)] : [];
  const nested = (failure.children ?? []).flatMap((child) => flatten(child, path));
  return [...own, ...nested];
}

function pick(constraints: Record<string, string>, path: string): ValidationError {
  let best: ValidationError | undefined;
  for (const [name, message] of Object.entries(constraints)) {
    const code = CODE_OF_CONSTRAINT[name] ?? 'invalid_value';
    if (!best || PRIORITY.indexOf(code) < PRIORITY.indexOf(best.code)) {
      best = { path, code, message: withPath(message, path) };
    }
  }
  // Object.entries of a non-empty constraints map always yields one.
  return best ?? { path, code: 'invalid_value', message: `${path} is invalid` };
}

// class-validator names the bare property ("status_code must not be greater than 599");
// name the full path instead so the message stands on its own.
function withPath(message: string, path: string): string {
  const property = path.slice(path.lastIndexOf('.') + 1);
  return message.startsWith(property)
    ? `${path}${message.slice(property.length)}`
    : `${path}: ${message}`;
}

/** Property names JavaScript objects inherit: class-transformer mishandles them, so JSON may not use them. */
const RESERVED: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Every property, at any depth, named like an Object.prototype member (`constructor`, `toString`). */
function reservedNames(value: unknown, path: string): ValidationError[] {
  const found: ValidationError[] = [];
  forEachProperty(value, path, (key, at) => {
    if (RESERVED.has(key))
      found.push({
        path: at,
        code: 'invalid_value',
        message: `${at}: "${key}" is a reserved property name`,
      });
  });
  return found;
}

/** Whether any property at any depth is named like an Object.prototype member (no paths built). */
function hasReservedName(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasReservedName);
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (RESERVED.has(key) || hasReservedName(value[key])) return true;
  }
  return false;
}

/** Calls `visit` with the name and path of every object property in a JSON value, at any depth. */
export function forEachProperty(
  value: unknown,
  path: string,
  visit: (key: string, path: string) => void,
): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => forEachProperty(item, joinPath(path, String(index)), visit));
  } else if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      const childPath = joinPath(path, key);
      visit(key, childPath);
      forEachProperty(child, childPath, visit);
    }
  }
}
