// The OpenAPI description of ingest's HTTP API (DESIGN.md §4): schema classes for
// Swagger and examples built from @runlog/contracts, so they stay valid as kinds change.
// Documentation only: nothing here validates or shapes a request.
import { ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';
import { exampleEvent, FAMILIES, type Family, streamName } from '@runlog/contracts';
import { type ApiErrorCode, type ErrorBody } from '@runlog/platform';
import { type AcceptedEvent, type FailedEvent, type RejectedEvent } from '../intake/intake.service';
import { EVENT_MEDIA_TYPES } from './cloudevents-http';
import {
  type AcceptedBody,
  type FamilyInfo,
  type RejectedBody,
  type UnavailableBody,
} from './responses';

export const INGEST_TAG = 'ingest';

@ApiSchema({
  name: 'CloudEvent',
  description:
    'A CloudEvents 1.0.2 event in structured JSON mode (DESIGN.md §2). `null` on an optional attribute means absent. Any other attribute is an extension attribute: a name of 1 to 64 lowercase letters a-z and digits 0-9 (not `cursor`, `family`, `kind`, `extensions`), a string, 32-bit integer or boolean value (engine events: strings are identifiers); `traceparent` and `tracestate` in their W3C Trace Context forms. In binary mode each attribute is a `ce-<name>` header (percent-encoded; extensions arrive as strings) and the body is `data`.',
})
export class CloudEventSchema {
  @ApiProperty({ enum: ['1.0'] })
  readonly specversion!: '1.0';
  @ApiProperty({ description: 'Unique per event; the JetStream msgID, so a resend dedupes.' })
  readonly id!: string;
  @ApiProperty({
    format: 'uri-reference',
    description: 'An RFC 3986 URI-reference',
    example: 'example/producer@host-1',
  })
  readonly source!: string;
  @ApiProperty({
    description: '`runlog.<family>.<kind>`',
    pattern: '^runlog\\.[a-z_]+\\.[A-Za-z_]+$',
    example: 'runlog.trace.op_start',
  })
  readonly type!: string;
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Filled with the receive time when absent.',
  })
  readonly time?: string;
  @ApiPropertyOptional({ description: 'The partition key; derived from `data` when absent.' })
  readonly subject?: string;
  @ApiPropertyOptional({
    description:
      'An RFC 2046 media type; it must be application/json (parameters allowed), stored as application/json',
    example: 'application/json',
  })
  readonly datacontenttype?: string;
  @ApiPropertyOptional({
    format: 'uri',
    description: 'An absolute URI (RFC 3986 §4.3): the schema data adheres to. Kept on the event.',
    example: 'https://example.com/schemas/trace/op_start.json',
  })
  readonly dataschema?: string;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Extension: per-source monotonic sequence, for gap detection.',
  })
  readonly sourceseq?: number;
  @ApiPropertyOptional({
    description:
      'An extension attribute (the Distributed Tracing extension, W3C Trace Context); also sent as a NATS header',
    pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
    example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  })
  readonly traceparent?: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The payload of the family and kind named by `type` (snake_case).',
  })
  readonly data!: Record<string, unknown>;
}

@ApiSchema({ name: 'AcceptedEvent', description: 'Where one event went.' })
export class AcceptedEventSchema {
  @ApiProperty({ type: 'integer', description: 'Its position in the request.' })
  readonly index!: number;
  @ApiProperty()
  readonly id!: string;
  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'null for live-only engine kinds (sent on core NATS, never stored).',
  })
  readonly stream!: string | null;
  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'The stream sequence, as a string; null for live-only engine kinds.',
  })
  readonly cursor!: string | null;
  @ApiProperty({ description: 'true when the id was seen before: `cursor` is the first copy.' })
  readonly duplicate!: boolean;
}

@ApiSchema({ name: 'AcceptedBody', description: '202: every event was written (or sent live).' })
export class AcceptedBodySchema {
  @ApiProperty({ type: [AcceptedEventSchema] })
  readonly accepted!: AcceptedEventSchema[];
}

@ApiSchema({ name: 'Error', description: 'A stable `code`, a message for people, and details.' })
export class ErrorSchema {
  @ApiProperty({ example: 'unsupported_media_type' })
  readonly code!: string;
  @ApiProperty()
  readonly message!: string;
  @ApiProperty({ type: 'array', items: {} })
  readonly details!: unknown[];
}

@ApiSchema({ name: 'ErrorBody', description: 'The one error shape of every runlog service.' })
export class ErrorBodySchema {
  @ApiProperty({ type: ErrorSchema })
  readonly error!: ErrorSchema;
}

@ApiSchema({ name: 'ValidationError', description: 'One failing field, by its path.' })
export class ValidationErrorSchema {
  @ApiProperty({ example: 'data.status_code' })
  readonly path!: string;
  @ApiProperty({ example: 'invalid_type' })
  readonly code!: string;
  @ApiProperty()
  readonly message!: string;
}

@ApiSchema({ name: 'RejectedEvent', description: 'One invalid event with every error.' })
export class RejectedEventSchema {
  @ApiProperty({ type: 'integer' })
  readonly index!: number;
  @ApiProperty({ type: 'string', nullable: true, description: 'null when it has no string id.' })
  readonly id!: string | null;
  @ApiProperty({ type: [ValidationErrorSchema] })
  readonly errors!: ValidationErrorSchema[];
}

@ApiSchema({
  name: 'RejectedBody',
  description:
    '400: the error, with `rejected` when events are invalid (`validation_failed`, `confidentiality_violation`); nothing was written.',
})
export class RejectedBodySchema extends ErrorBodySchema {
  @ApiPropertyOptional({
    type: [RejectedEventSchema],
    description: 'Every invalid event with every error (also in `error.details`).',
  })
  readonly rejected?: RejectedEventSchema[];
}

@ApiSchema({ name: 'FailedEvent', description: 'An event JetStream did not take.' })
export class FailedEventSchema {
  @ApiProperty({ type: 'integer' })
  readonly index!: number;
  @ApiProperty()
  readonly id!: string;
  @ApiProperty({ example: 'timeout' })
  readonly code!: string;
  @ApiProperty()
  readonly message!: string;
}

@ApiSchema({
  name: 'UnavailableBody',
  description:
    '503: JetStream did not take some events; `accepted` were written. Retrying the same batch is safe (ids dedupe).',
})
export class UnavailableBodySchema extends ErrorBodySchema {
  @ApiProperty({ type: [AcceptedEventSchema] })
  readonly accepted!: AcceptedEventSchema[];
  @ApiProperty({ type: [FailedEventSchema] })
  readonly failed!: FailedEventSchema[];
}

@ApiSchema({ name: 'FamilyInfo', description: 'One family stream and what it holds.' })
export class FamilyInfoSchema {
  @ApiProperty({ enum: FAMILIES })
  readonly family!: Family;
  @ApiProperty({ example: 'RUNLOG_TRACE' })
  readonly stream!: string;
  @ApiProperty({ type: 'integer' })
  readonly messages!: number;
  @ApiProperty({ type: 'string', nullable: true, description: 'null when the stream is empty.' })
  readonly first_cursor!: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'null when the stream is empty.' })
  readonly last_cursor!: string | null;
}

@ApiSchema({ name: 'FamiliesBody' })
export class FamiliesBodySchema {
  @ApiProperty({ type: [FamilyInfoSchema] })
  readonly families!: FamilyInfoSchema[];
}

// ---- POST /v1/events: the request

/** One event, a batch, or (binary mode) the data of one event. */
export const EVENTS_REQUEST_SCHEMA = {
  anyOf: [
    { $ref: getSchemaPath(CloudEventSchema) },
    {
      type: 'array',
      minItems: 1,
      items: { $ref: getSchemaPath(CloudEventSchema) },
      description: 'A batch: at most INGEST_MAX_BATCH events (default 1000).',
    },
    {
      type: 'object',
      title: 'data (binary mode)',
      description:
        'Binary mode (application/json with a ce-specversion header): the body is the event’s `data`; its attributes are the ce-* headers.',
      additionalProperties: true,
    },
  ],
};

const singleEvent = exampleEvent('trace', 'op_start');
const acquired = exampleEvent('lease_history', 'acquired');
const llmUsage = exampleEvent('trace', 'llm_usage');
const warmUp = exampleEvent('engine', 'warm_up_complete');
const batch = [acquired, llmUsage, warmUp];
const binaryEvent = exampleEvent('completion', 'completed');

export const EVENTS_REQUEST_EXAMPLES = {
  event: { summary: 'One event (structured mode)', value: singleEvent },
  batch: {
    summary: 'A batch (application/json or application/cloudevents-batch+json)',
    description: 'All are validated first; one invalid event rejects the whole batch.',
    value: batch,
  },
  binary: {
    summary: 'Binary mode: data only (application/json with ce-* headers)',
    description: `Send with ce-specversion: 1.0, ce-id: ${binaryEvent.id}, ce-source: ${binaryEvent.source}, ce-type: ${binaryEvent.type}.`,
    value: binaryEvent.data,
  },
};

const ceHeader = (attribute: string, description: string, example: unknown) => ({
  name: `ce-${attribute}`,
  required: false,
  description: `Binary mode: ${description}`,
  schema: { type: 'string' },
  example: String(example),
});

/** The CloudEvents HTTP binary mode: attributes in `ce-*` headers, `data` in the body. */
export const BINARY_MODE_HEADERS = [
  ceHeader(
    'specversion',
    'present means binary mode (the body is `data`, application/json only).',
    binaryEvent.specversion,
  ),
  ceHeader('id', 'the event id.', binaryEvent.id),
  ceHeader('source', 'the event source.', binaryEvent.source),
  ceHeader('type', '`runlog.<family>.<kind>`.', binaryEvent.type),
  ceHeader('time', 'RFC 3339; the receive time when absent.', binaryEvent.time),
  ceHeader('subject', 'the partition key; derived from data when absent.', binaryEvent.subject),
  ceHeader('sourceseq', 'per-source monotonic sequence.', binaryEvent.sourceseq),
];

export const AUTHORIZATION_HEADER = {
  name: 'Authorization',
  required: false,
  description:
    '`Bearer <key>`: required when RUNLOG_API_KEYS is set; the key must allow every family in the batch.',
  schema: { type: 'string' },
  example: 'Bearer key1',
};

// ---- POST /v1/events: the answers

const acquiredAt: AcceptedEvent = {
  index: 0,
  id: acquired.id,
  stream: streamName('lease_history'),
  cursor: '1042',
  duplicate: false,
};
const sentLive: AcceptedEvent = {
  index: 2,
  id: warmUp.id,
  stream: null,
  cursor: null,
  duplicate: false,
};
export const ACCEPTED_EXAMPLE = {
  accepted: [
    acquiredAt,
    { index: 1, id: llmUsage.id, stream: streamName('trace'), cursor: '7', duplicate: true },
    sentLive,
  ],
} satisfies AcceptedBody;

const rejected: RejectedEvent[] = [
  {
    index: 1,
    id: llmUsage.id,
    errors: [
      {
        path: 'data.payload.prompt_tokens',
        code: 'invalid_type',
        message: 'data.payload.prompt_tokens must be an integer number',
      },
    ],
  },
];
export const REJECTED_EXAMPLE = {
  error: {
    code: 'validation_failed',
    message: '1 of 3 events are invalid; nothing was written',
    details: rejected,
  },
  rejected,
} satisfies RejectedBody;

const failed: FailedEvent[] = [
  { index: 1, id: llmUsage.id, code: 'timeout', message: 'JetStream did not answer in time' },
];
export const UNAVAILABLE_EXAMPLE = {
  error: {
    code: 'unavailable',
    message: 'JetStream did not take 1 of 3 events; retrying the batch is safe (ids dedupe)',
    details: failed,
  },
  accepted: [acquiredAt, sentLive],
  failed,
} satisfies UnavailableBody;

const error = (code: ApiErrorCode, message: string, details: unknown[] = []) => ({
  summary: code,
  value: { error: { code, message, details } } satisfies ErrorBody,
});

export const BAD_REQUEST_EXAMPLES = {
  validation_failed: { summary: 'validation_failed', value: REJECTED_EXAMPLE },
  malformed_json: error(
    'malformed_json',
    "Body is not valid JSON but content-type is set to 'application/json'",
  ),
  empty_batch: error('empty_batch', 'the batch holds no events'),
  invalid_request: error('invalid_request', 'application/cloudevents-batch+json must be an array'),
};
export const UNAUTHORIZED_EXAMPLE = error(
  'unauthorized',
  'an API key is required: Authorization: Bearer <key>',
).value;
export const FORBIDDEN_EXAMPLE = error('forbidden', 'the API key may not write trace', [
  { index: 1, family: 'trace' },
]).value;
export const PAYLOAD_TOO_LARGE_EXAMPLES = {
  too_many_events: error(
    'too_many_events',
    'the batch holds 1200 events; at most 1000 (INGEST_MAX_BATCH)',
  ),
  payload_too_large: error('payload_too_large', 'Request body is too large'),
};
export const UNSUPPORTED_MEDIA_TYPE_EXAMPLE = error(
  'unsupported_media_type',
  `content-type must be one of ${EVENT_MEDIA_TYPES.join(', ')}; got text/plain`,
).value;

// ---- GET /v1/families

export const FAMILIES_EXAMPLE = {
  families: FAMILIES.map((family): FamilyInfo =>
    family === 'trace'
      ? {
          family,
          stream: streamName(family),
          messages: 1042,
          first_cursor: '1',
          last_cursor: '1042',
        }
      : { family, stream: streamName(family), messages: 0, first_cursor: null, last_cursor: null },
  ),
};
export const FAMILIES_UNAVAILABLE_EXAMPLE = error(
  'unavailable',
  'stream RUNLOG_TRACE is not available: stream not found',
).value;
