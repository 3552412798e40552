// JSON Schemas of trace-store's answers (DESIGN.md §4) for the OpenAPI document.
// Documentation only: nothing here validates or shapes a response.
import { type SchemaObject } from '@nestjs/swagger';
import { ERROR_BODY_SCHEMA } from '@runlog/platform';
import { TRACE_WARNING_CODES } from '../trace/trace-model';

export const TRACE_STATUSES = ['ok', 'error', 'cancelled', 'open'] as const;

const usageTotals: SchemaObject = {
  type: 'object',
  properties: {
    prompt_tokens: { type: 'integer' },
    completion_tokens: { type: 'integer' },
    total_tokens: { type: 'integer' },
    cost_usd: { type: 'number' },
    calls: { type: 'integer' },
  },
};
const byModelOmitted: SchemaObject = {
  type: 'integer',
  description: 'Models past the first 1,000 by name: in the totals, not listed (absent when none)',
};
const byModel: SchemaObject = {
  type: 'array',
  items: { ...usageTotals, properties: { model: { type: 'string' }, ...usageTotals.properties } },
};

/** The one error body of every service. */
export const ERROR_SCHEMA: SchemaObject = ERROR_BODY_SCHEMA;

export const TRACE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    request_id: { type: 'string' },
    events: {
      type: 'array',
      description: 'In (timestamp, seq) order, each event_id once',
      items: {
        type: 'object',
        properties: {
          cursor: { type: 'string' },
          event_id: { type: 'string' },
          kind: { type: 'string' },
          op_name: { type: 'string', nullable: true },
          ctx: { type: 'array', items: { type: 'string' } },
          timestamp: { type: 'string', format: 'date-time' },
          seq: { type: 'integer' },
          payload: { type: 'object', additionalProperties: true },
          extensions: {
            type: 'object',
            description:
              "The event's CloudEvents extension attributes (string, integer or boolean values); absent when it had none",
            additionalProperties: {
              oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }],
            },
          },
        },
      },
    },
    warnings: {
      type: 'array',
      description: "The trace's warnings, on the first page (no `after`) only; at most 100",
      items: {
        type: 'object',
        properties: {
          code: { type: 'string', enum: [...TRACE_WARNING_CODES] },
          message: { type: 'string' },
          event_id: { type: 'string' },
          cursor: { type: 'string' },
        },
      },
    },
    warnings_omitted: {
      type: 'integer',
      minimum: 1,
      description: 'Warnings past the first 100 (first page only); absent when none',
    },
    next_after: {
      type: 'string',
      nullable: true,
      description:
        "The last event's cursor while more follow (pass it as `after`); null at the end",
    },
  },
};

const node: SchemaObject = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['op', 'group'] },
    name: { type: 'string' },
    op_name: { type: 'string', nullable: true },
    ctx: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['ok', 'error', 'cancelled', 'truncated', 'open'] },
    started_at: { type: 'string', format: 'date-time' },
    ended_at: { type: 'string', format: 'date-time', nullable: true },
    duration_ms: { type: 'number', nullable: true },
    yield_count: { type: 'integer' },
    usage: { ...usageTotals, nullable: true },
    annotations: { type: 'array', items: { type: 'object' } },
    media: { type: 'array', items: { type: 'object' } },
    children: { type: 'array', items: { type: 'object', description: 'nodes, recursively' } },
  },
};

export const TREE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    request_id: { type: 'string' },
    started_at: { type: 'string', format: 'date-time' },
    ended_at: { type: 'string', format: 'date-time' },
    duration_ms: { type: 'number' },
    status: { type: 'string', enum: [...TRACE_STATUSES] },
    roots: { type: 'array', items: node },
    unattached: {
      type: 'object',
      description: 'usage, annotations and media whose span never appeared',
    },
    truncated: {
      type: 'boolean',
      enum: [true],
      description:
        'Present only on a tree cut short: from the first entry past a limit on, nothing new ' +
        'is added, while the nodes kept still show their ends, usage and yields',
    },
    truncated_by: {
      type: 'string',
      enum: ['nodes', 'depth', 'text'],
      description: 'The limit that cut it (with `truncated`)',
    },
    node_limit: {
      type: 'integer',
      description:
        'RUNLOG_TRACE_TREE_MAX_NODES: spans, groups, annotations, media and unattached entries (with `truncated`)',
    },
    omitted: {
      type: 'integer',
      description: 'Events from the cut on that the tree does not show (with `truncated`)',
    },
  },
};

export const USAGE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    request_id: { type: 'string' },
    total: usageTotals,
    by_model: byModel,
    by_model_omitted: byModelOmitted,
  },
};

export const USAGE_ACROSS_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { by_model: byModel, by_model_omitted: byModelOmitted },
};

export const SEARCH_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    traces: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          request_id: { type: 'string' },
          started_at: { type: 'string', format: 'date-time' },
          ended_at: { type: 'string', format: 'date-time' },
          duration_ms: { type: 'number' },
          status: { type: 'string', enum: [...TRACE_STATUSES] },
          ops: { type: 'integer' },
          errors: { type: 'integer' },
          total_tokens: { type: 'integer' },
          cost_usd: { type: 'number' },
        },
      },
    },
    next_after: {
      type: 'string',
      nullable: true,
      description: 'Pass as `after` for the next page',
    },
  },
};

/** `GET /v1/traces/{id}/otlp`: an OTLP JSON ExportTraceServiceRequest (opentelemetry-proto v1). */
export const OTLP_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'OTLP JSON ExportTraceServiceRequest: ids in hex, times as strings of Unix nanoseconds',
  properties: {
    resourceSpans: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          resource: { type: 'object' },
          scopeSpans: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                scope: { type: 'object' },
                spans: { type: 'array', items: { type: 'object' } },
              },
            },
          },
        },
      },
    },
  },
};
