/**
 * A CloudEvents 1.0 event in structured JSON mode, as producers send it and as the bus
 * stores it (DESIGN.md §2). `data` is the family/kind payload, snake_case. Extension
 * attributes sit beside the others, as the JSON format has them.
 */
export interface CloudEventEnvelope {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  /** `runlog.<family>.<kind>` */
  readonly type: string;
  /** RFC 3339; ingest fills it with the receive time when absent. */
  readonly time?: string;
  /** The partition key; derived from `data` when absent. */
  readonly subject?: string;
  readonly datacontenttype?: string;
  /** An absolute URI (RFC 3986 §4.3) naming the schema `data` adheres to. */
  readonly dataschema?: string;
  /** Extension: per-source monotonic sequence, for gap detection. */
  readonly sourceseq?: number;
  readonly data: unknown;
  /** Extension attributes (names of a-z and 0-9): strings, 32-bit integers, booleans (`ExtensionValue`). */
  readonly [extension: string]: unknown;
}

/**
 * The CloudEvents attributes runlog gives a meaning of its own (the core ones, `sourceseq`
 * and `data`); any other top-level attribute is an extension, checked by its name and value.
 */
export const ENVELOPE_ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
  'dataschema',
  'sourceseq',
  'data',
] as const;

/** NATS headers carried next to the structured body so consumers can route without parsing. */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  type: 'ce-type',
  source: 'ce-source',
  id: 'ce-id',
} as const;
