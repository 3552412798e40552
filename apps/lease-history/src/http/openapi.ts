// JSON Schemas of lease-history's answers (DESIGN.md §4) for the OpenAPI document.
// Documentation only: nothing here validates or shapes a response.
import { type SchemaObject } from '@nestjs/swagger';
import { KINDS } from '@runlog/contracts';
import { ERROR_BODY_SCHEMA } from '@runlog/platform';
import { type LeaseStateName } from '../projection/lease-state';

export const LEASE_STATES: readonly LeaseStateName[] = ['held', 'expired', 'revoked'];

const nullableString: SchemaObject = { type: 'string', nullable: true };
const cursor: SchemaObject = {
  type: 'string',
  pattern: '^[0-9]+$',
  description: 'A stream sequence',
};

/** The one error body of every service. */
export const ERROR_SCHEMA: SchemaObject = ERROR_BODY_SCHEMA;

export const LEASE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    execution_id: { type: 'string' },
    state: { type: 'string', enum: [...LEASE_STATES] },
    owner: nullableString,
    lease_id: nullableString,
    acquired_at: { ...nullableString, format: 'date-time' },
    renewed_at: { ...nullableString, format: 'date-time' },
    renewals: { type: 'integer', minimum: 0 },
    outcome: {
      description:
        '`success`, `failure`, `cancelled`, or `{other: "<raw>"}`; null before completion',
      // `nullable` sits on a branch with a `type` (OpenAPI 3.0 ignores it beside `oneOf` alone).
      oneOf: [
        { type: 'string', nullable: true },
        { type: 'object', properties: { other: { type: 'string' } } },
      ],
    },
    cursor: { ...cursor, description: 'The last applied lease event' },
    anomalies: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          cursor,
          code: {
            type: 'string',
            enum: [
              'renewal_of_expired',
              'renewal_of_revoked',
              'renewal_by_other_owner',
              'renewal_without_lease',
              'event_after_completion',
            ],
          },
          message: { type: 'string' },
        },
      },
      description: 'In cursor order: the first 100',
    },
    anomalies_omitted: {
      type: 'integer',
      minimum: 1,
      description: 'Anomalies past the first 100; absent when none',
    },
  },
};

/** One history event; also the `data` of each SSE frame. */
export const HISTORY_EVENT_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    cursor,
    kind: { type: 'string', enum: [...KINDS.lease_history] },
    id: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    extensions: {
      type: 'object',
      description:
        "The event's CloudEvents extension attributes (string, integer or boolean values); absent when it had none",
      additionalProperties: {
        oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }],
      },
    },
    data: { type: 'object', additionalProperties: true },
  },
};

export const HISTORY_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    execution_id: { type: 'string' },
    events: { type: 'array', items: HISTORY_EVENT_SCHEMA },
    next_after: { ...nullableString, description: 'Pass as `after` for the next page' },
  },
};

export const LEASES_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    leases: { type: 'array', items: LEASE_SCHEMA },
    next_after: { ...nullableString, description: 'Pass as `after` for the next page' },
  },
};
