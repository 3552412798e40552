import { ValidateBy, type ValidationOptions } from 'class-validator';
import { engineRuleProblem, type EngineValueRule, satisfiesEngineRule } from '../engine-values';

/**
 * Constraint names of runlog's own decorators. `decode` maps every constraint name to a
 * stable {@link ValidationCode}, so these are part of the contract of this folder.
 */
export const CONSTRAINTS = {
  notBlank: 'isNotBlank',
  timestampType: 'isTimestampType',
  timestampFormat: 'isTimestampFormat',
  jsonObject: 'isJsonObject',
  stringArray: 'isStringArray',
  decimalCursor: 'isDecimalCursor',
  present: 'isPresent',
  engineValue: 'isEngineValue',
} as const;

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * True for an RFC 3339 date-time that names a real instant: a day that exists in its month
 * (`Date.parse` would roll 2026-02-30 over to March 2), hours 00-23, minutes and
 * seconds 00-59 (a leap second has no JavaScript Date), offsets up to 23:59.
 */
export function isRfc3339(value: string): boolean {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHour = 0, offsetMinute = 0] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  if (month === undefined || month < 1 || month > 12) return false;
  const daysInMonth = new Date(Date.UTC(year ?? 0, month, 0)).getUTCDate();
  return (
    day !== undefined &&
    day >= 1 &&
    day <= daysInMonth &&
    (hour ?? 24) <= 23 &&
    (minute ?? 60) <= 59 &&
    (second ?? 60) <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59 &&
    !Number.isNaN(Date.parse(value))
  );
}

/** A string with at least one non-whitespace character (other types are left to IsString). */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: CONSTRAINTS.notBlank,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || value.trim().length > 0,
        defaultMessage: (args) => `${args?.property ?? 'value'} must not be blank`,
      },
    },
    options,
  );
}

/** The last instant a JavaScript Date (and so every consumer) can hold, in epoch ms. */
export const MAX_EPOCH_MS = 8.64e15;

/**
 * An instant: an RFC 3339 string or a non-negative epoch-milliseconds number (DESIGN.md §3,
 * `at`). Two constraints so a wrong type and a wrong format get different codes.
 */
export function IsTimestamp(): PropertyDecorator {
  const type = ValidateBy({
    name: CONSTRAINTS.timestampType,
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' ||
        (typeof value === 'number' && Number.isFinite(value) && value >= 0),
      defaultMessage: (args) =>
        `${args?.property ?? 'value'} must be an RFC 3339 string or epoch milliseconds`,
    },
  });
  const format = ValidateBy({
    name: CONSTRAINTS.timestampFormat,
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string'
          ? isRfc3339(value)
          : typeof value !== 'number' || value <= MAX_EPOCH_MS,
      defaultMessage: (args) =>
        typeof args?.value === 'number'
          ? `${args.property} must be epoch milliseconds up to ${MAX_EPOCH_MS} (the year 275760)`
          : `${args?.property ?? 'value'} must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z`,
    },
  });
  return (target, key) => {
    type(target, key);
    format(target, key);
  };
}

/** A JSON object (not null, not an array); its content is free-form. */
export function IsJsonObject(): PropertyDecorator {
  return ValidateBy({
    name: CONSTRAINTS.jsonObject,
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' && value !== null && !Array.isArray(value),
      defaultMessage: (args) => `${args?.property ?? 'value'} must be a JSON object`,
    },
  });
}

/** An array of strings. */
export function IsStringArray(): PropertyDecorator {
  return ValidateBy({
    name: CONSTRAINTS.stringArray,
    validator: {
      validate: (value: unknown) =>
        Array.isArray(value) && value.every((item) => typeof item === 'string'),
      defaultMessage: (args) => `${args?.property ?? 'value'} must be an array of strings`,
    },
  });
}

/** A cursor: a JetStream stream sequence written as a decimal string (DESIGN.md §2). */
export function IsDecimalCursor(): PropertyDecorator {
  return ValidateBy({
    name: CONSTRAINTS.decimalCursor,
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || /^(0|[1-9]\d*)$/.test(value),
      defaultMessage: (args) =>
        `${args?.property ?? 'value'} must be a cursor: a decimal stream sequence such as "1042"`,
    },
  });
}

/** Present with any JSON value, `null` included (payload slots such as `outputs`). */
export function IsPresent(): PropertyDecorator {
  return ValidateBy({
    name: CONSTRAINTS.present,
    validator: {
      validate: (value: unknown) => value !== undefined,
      defaultMessage: (args) => `${args?.property ?? 'value'} is required`,
    },
  });
}

/**
 * A string of an engine event that must be an identifier, never free text (DESIGN.md §3,
 * the confidentiality invariant by value; ../engine-values). Other types are left to
 * IsString. The rule itself is the constraint, so the JSON Schema can state its pattern.
 */
export function IsEngineValue(rule: EngineValueRule): PropertyDecorator {
  return ValidateBy({
    name: CONSTRAINTS.engineValue,
    constraints: [rule],
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || satisfiesEngineRule(rule, value),
      defaultMessage: (args) =>
        `${args?.property ?? 'value'} ${
          (typeof args?.value === 'string' ? engineRuleProblem(rule, args.value) : undefined) ??
          'must be a string'
        }`,
    },
  });
}
