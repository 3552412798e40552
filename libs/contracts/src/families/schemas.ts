import { type Family, type KindOf } from '../families';
import { AGENT_SCHEMAS, CANONICAL_SCHEMAS } from './agent';
import { ENGINE_SCHEMAS } from './engine';
import {
  COMPLETION_SCHEMAS,
  INSTANCE_TAGS_SCHEMAS,
  LEASE_HISTORY_SCHEMAS,
  SIGNAL_DELIVERY_SCHEMAS,
} from './execution';
import { PIPELINE_SCHEMAS } from './pipeline';
import { PRODUCER_SCHEMAS } from './producer';
import { type KindSchema } from './schema';
import { TRACE_SCHEMAS } from './trace';

/** The class-validator schema of every family and kind. */
export const SCHEMAS: { readonly [F in Family]: { readonly [K in KindOf<F>]: KindSchema } } = {
  engine: ENGINE_SCHEMAS,
  lease_history: LEASE_HISTORY_SCHEMAS,
  completion: COMPLETION_SCHEMAS,
  signal_delivery: SIGNAL_DELIVERY_SCHEMAS,
  instance_tags: INSTANCE_TAGS_SCHEMAS,
  trace: TRACE_SCHEMAS,
  pipeline: PIPELINE_SCHEMAS,
  agent: AGENT_SCHEMAS,
  canonical: CANONICAL_SCHEMAS,
  producer: PRODUCER_SCHEMAS,
};

/** The schema of one kind of `family`; a RangeError for a kind the family does not have. */
export function schemaOf(family: Family, kind: string): KindSchema {
  const schema = (SCHEMAS[family] as Readonly<Record<string, KindSchema>>)[kind];
  if (!schema) throw new RangeError(`no schema for ${family}.${kind}`);
  return schema;
}
