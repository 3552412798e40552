// The public surface of @runlog/contracts: framework-free event shapes, validation,
// stream names and subject builders (DESIGN.md §2, §3).
export * from './families';
export * from './envelope';
export * from './events';
export * from './result';
export * from './validation-error';
export * from './streams';
export * from './subjects';
export * from './keys';
export * from './decode';
export {
  checkExtension,
  isExtensionName,
  MAX_EXTENSION_NAME,
  RESERVED_EXTENSION_NAMES,
  TRACE_CONTEXT_ATTRIBUTES,
  traceContextHeaders,
  type ExtensionValue,
  type Extensions,
  type ExtensionVerdict,
} from './extensions';
export { isAbsoluteUri, isUriReference } from './uri';
export { parseMediaType, type MediaType } from './media-type';
export {
  MAX_AGENT_DATA_DEPTH,
  MAX_DATA_DEPTH,
  hasUnstorableChar,
  unstorableErrors,
} from './storable';
export {
  checkEngineConfidentiality,
  engineValueErrors,
  suggestsContent,
  CONTENT_WORDS,
} from './confidentiality';
export {
  ENGINE_IDENTIFIER,
  ENGINE_ROUTE,
  ENGINE_SOURCE,
  engineRuleProblem,
  satisfiesEngineRule,
  type EngineValueRule,
} from './engine-values';
export { exampleData, exampleEvent, ALL_KINDS } from './examples';
export { SCHEMAS, schemaOf } from './families/schemas';
export type { KindSchema, Instant, OpenEnum } from './families/schema';
export * from './families/engine';
export * from './families/execution';
export * from './families/trace';
export * from './families/pipeline';
export * from './families/agent';
export * from './families/producer';
export { instantIso, instantMs } from './instant';
export { isRfc3339 } from './validation/decorators';
export { dataSchema, type JsonSchema } from './json-schema';
export { asyncApiDocument } from './asyncapi';
export { decodeBatch, type DecodeBatchOptions, type RejectedEvent } from './decode-batch';
