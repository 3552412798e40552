/**
 * A CloudEvents 1.0 event in structured JSON mode, as producers send it and as the bus
 * stores it (DESIGN.md §2). `data` is the family/kind payload, snake_case.
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
  /** Extension: per-source monotonic sequence, for gap detection. */
  readonly sourceseq?: number;
  readonly data: unknown;
}

/** The CloudEvents context attributes runlog knows; any other top-level attribute is rejected. */
export const ENVELOPE_ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
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
