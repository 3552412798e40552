import { type Family, type KindOf } from './families';
import { schemaOf } from './families/schemas';
import { type JsonSchema, kindJsonSchema } from './validation/class-schema';

export type { JsonSchema };

/**
 * The JSON Schema of one kind's `data`, read from the same class-validator declarations
 * `decode()` enforces, so documents built from it (AsyncAPI) cannot drift from the
 * contract. Rules JSON Schema cannot say (content-like property names, real calendar dates,
 * reserved property names) stay `decode()`'s; the schema is what a producer must send.
 */
export function dataSchema<F extends Family>(family: F, kind: KindOf<F>): JsonSchema {
  return kindJsonSchema(schemaOf(family, kind));
}
