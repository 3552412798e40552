import { plainToInstance } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';
import { type EngineValueRule } from '../engine-values';
import { type KindSchema } from '../families/schema';
import { CONSTRAINTS, MAX_EPOCH_MS } from './decorators';

/** A JSON Schema (draft 2020-12 subset, as AsyncAPI 3 embeds it). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * The JSON Schema of a kind's class-validator declarations, its `payload` slot included.
 * Instants are `format: date-time`, which the compiled validator defines as
 * `isRfc3339` (a real calendar date, see ./decorators).
 */
export function kindJsonSchema(schema: KindSchema): JsonSchema {
  return classSchema(schema.cls, schema.open === true, schema.payload);
}

/**
 * The JSON Schema of one class's declarations; without `payload`, a `payload` slot is
 * only an object.
 */
export function classSchema(
  cls: new () => object,
  open: boolean,
  payload?: KindSchema,
): JsonSchema {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const byProperty = new Map<string, typeof metadata>();
  for (const entry of metadata) {
    byProperty.set(entry.propertyName, [...(byProperty.get(entry.propertyName) ?? []), entry]);
  }
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [property, entries] of byProperty) {
    const names = new Set(entries.map((entry) => entry.name ?? entry.type));
    const constraint = (name: string): unknown =>
      (entries.find((entry) => entry.name === name)?.constraints as unknown[] | undefined)?.[0];
    properties[property] =
      property === 'payload' && payload
        ? classSchema(payload.cls, payload.open === true)
        : propertySchema(cls, property, names, constraint);
    if ((names.has('isDefined') || names.has(CONSTRAINTS.present)) && !names.has('isOptional')) {
      required.push(property);
    }
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: open,
  };
}

function propertySchema(
  cls: new () => object,
  property: string,
  names: ReadonlySet<string>,
  constraint: (name: string) => unknown,
): JsonSchema {
  const bounds = (): JsonSchema => ({
    ...(typeof constraint('min') === 'number' ? { minimum: constraint('min') } : {}),
    ...(typeof constraint('max') === 'number' ? { maximum: constraint('max') } : {}),
  });
  if (names.has('isIn')) return { type: 'string', enum: constraint('isIn') };
  if (names.has('isInt')) return { type: 'integer', ...bounds() };
  if (names.has('isNumber')) return { type: 'number', ...bounds() };
  if (names.has(CONSTRAINTS.timestampType)) {
    return {
      oneOf: [
        { type: 'string', format: 'date-time' },
        { type: 'number', minimum: 0, maximum: MAX_EPOCH_MS, description: 'epoch milliseconds' },
      ],
    };
  }
  if (names.has('nestedValidation')) {
    const sample = names.has('isArray') ? [{}] : {};
    const value = (plainToInstance(cls, { [property]: sample }) as Record<string, unknown>)[
      property
    ];
    const item = (Array.isArray(value) ? value[0] : value) as object;
    const nested = classSchema(item.constructor as new () => object, false);
    return names.has('isArray') ? { type: 'array', items: nested } : nested;
  }
  if (names.has(CONSTRAINTS.jsonObject)) return { type: 'object' };
  if (names.has(CONSTRAINTS.stringArray)) return { type: 'array', items: { type: 'string' } };
  if (names.has(CONSTRAINTS.decimalCursor)) return { type: 'string', pattern: '^(0|[1-9][0-9]*)$' };
  if (names.has(CONSTRAINTS.present)) return {};
  if (names.has(CONSTRAINTS.engineValue)) {
    const rule = constraint(CONSTRAINTS.engineValue) as EngineValueRule;
    return { type: 'string', pattern: rule.pattern, maxLength: rule.maxLength };
  }
  if (names.has('isString')) {
    const maxLength = constraint('maxLength');
    return {
      type: 'string',
      ...(names.has(CONSTRAINTS.notBlank) ? { pattern: '\\S' } : {}),
      ...(typeof maxLength === 'number' ? { maxLength } : {}),
    };
  }
  throw new Error(`no JSON Schema for the constraints ${[...names].join(', ')} of ${property}`);
}
