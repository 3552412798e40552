import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { type KindSchema } from '../families/schema';
import { classSchema } from './class-schema';
import { isRfc3339 } from './decorators';

// The fast path of `validateShape`: each kind's class-validator declarations, turned into
// JSON Schema (the same document AsyncAPI publishes) and compiled by ajv into one function.
// It only answers "conforms or not": a value it rejects is explained by class-validator,
// which names every failing field. A differential test (compiled-shape.spec.ts) holds the
// two to the same verdict.

const ajv = new Ajv2020({
  strict: true,
  allErrors: false,
  // The contract's instant: a real calendar date, exactly as the class-validator rule says.
  formats: { 'date-time': isRfc3339 },
});

const compiled = new WeakMap<KindSchema, ValidateFunction>();

/**
 * True when `value` satisfies every declaration of `schema`'s class. The `payload` slot's
 * own schema, cross-field rules (`check`) and reserved property names are not part of it.
 * Compiled on first use per kind.
 */
export function conformsToDeclarations(schema: KindSchema, value: unknown): boolean {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(classSchema(schema.cls, schema.open === true));
    compiled.set(schema, validate);
  }
  return validate(value);
}
