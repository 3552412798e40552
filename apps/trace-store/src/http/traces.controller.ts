import { Controller, Get, Header, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiError,
  GAPS_BODY_SCHEMA,
  IdParamPipe,
  parseCount,
  parseCursor,
  parseInstant,
  parseLimit,
  parseText,
  type QueryValue,
  RequireScope,
} from '@runlog/platform';
import { type GapList } from '@runlog/store';
import {
  decodeSearchCursor,
  TRACE_PAGE,
  type TracePage,
  TraceQueryService,
  type TraceListItem,
  TRACE_WARNINGS_CAP,
} from '../query/trace-query.service';
import { type TraceUsage } from '../trace/trace-model';
import { traceToOtlpJson } from '../trace/trace-otlp';
import { type TraceTree } from '../trace/trace-tree';
import {
  ERROR_SCHEMA,
  OTLP_SCHEMA,
  SEARCH_SCHEMA,
  TRACE_SCHEMA,
  TRACE_STATUSES,
  TREE_SCHEMA,
  USAGE_ACROSS_SCHEMA,
  USAGE_SCHEMA,
} from './openapi';

const notFound = (requestId: string) =>
  new ApiError('not_found', `no trace ${requestId}`, [
    { path: 'request_id', code: 'not_found', message: 'unknown trace', value: requestId },
  ]);

function found<T>(requestId: string, value: T | undefined): T {
  if (value === undefined) throw notFound(requestId);
  return value;
}

/** Traces, trees, usage and search (DESIGN.md §4); ids URL-encoded. */
@ApiTags('trace-store')
@ApiResponse({
  status: 400,
  description: 'A bad parameter, named in `details`',
  schema: ERROR_SCHEMA,
})
@Controller('v1')
export class TracesController {
  constructor(@Inject(TraceQueryService) private readonly query: TraceQueryService) {}

  @Get('traces')
  @ApiOperation({ summary: 'Search traces, newest first, a page at a time' })
  @ApiQuery({
    name: 'since',
    required: false,
    description: 'RFC 3339 or epoch ms: started at or after',
  })
  @ApiQuery({ name: 'until', required: false, description: 'RFC 3339 or epoch ms: started before' })
  @ApiQuery({ name: 'op', required: false, description: 'Ran an op of this name' })
  @ApiQuery({ name: 'status', required: false, enum: TRACE_STATUSES })
  @ApiQuery({ name: 'min_duration_ms', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1..1000, default 100' })
  @ApiQuery({ name: 'after', required: false, description: 'The next_after of the previous page' })
  @ApiResponse({ status: 200, schema: SEARCH_SCHEMA })
  @RequireScope('read')
  search(
    @Query('since') since: QueryValue,
    @Query('until') until: QueryValue,
    @Query('op') op: QueryValue,
    @Query('status') status: QueryValue,
    @Query('min_duration_ms') minDuration: QueryValue,
    @Query('limit') limit: QueryValue,
    @Query('after') after: QueryValue,
  ): Promise<{ traces: TraceListItem[]; next_after: string | null }> {
    const afterText = parseText('after', after);
    const cursor = afterText === undefined ? undefined : decodeSearchCursor(afterText);
    if (afterText !== undefined && cursor === undefined) {
      throw new ApiError('invalid_parameter', 'after: must be a next_after this API returned', [
        { path: 'after', code: 'invalid_value', message: 'not a next_after', value: afterText },
      ]);
    }
    return this.query.search({
      since: parseInstant('since', since),
      until: parseInstant('until', until),
      op: parseText('op', op),
      status: parseText('status', status, TRACE_STATUSES),
      minDurationMs: parseCount('min_duration_ms', minDuration),
      limit: parseLimit(limit),
      after: cursor,
    });
  }

  @Get('traces/:id')
  @ApiOperation({
    summary: 'A page of a trace: its events in (timestamp, seq) order; warnings on the first page',
    description:
      'At most `limit` events, fewer when their payloads pass 8 MiB of JSON; `next_after` ' +
      "(the last cursor) continues. The first page (no `after`) carries the trace's " +
      `warnings, at most ${TRACE_WARNINGS_CAP}, and \`warnings_omitted\` when there are more.`,
  })
  @ApiParam({ name: 'id', description: 'request_id (URL-encoded)' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: `1..${TRACE_PAGE.max}, default ${TRACE_PAGE.fallback}`,
  })
  @ApiQuery({
    name: 'after',
    required: false,
    description: 'A cursor of this trace (the next_after of the previous page): events after it',
  })
  @ApiResponse({ status: 200, schema: TRACE_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown trace', schema: ERROR_SCHEMA })
  @RequireScope('read')
  async trace(
    @Param('id', IdParamPipe) id: string,
    @Query('limit') limit: QueryValue,
    @Query('after') after: QueryValue,
  ): Promise<TracePage> {
    const request = { limit: parseLimit(limit, TRACE_PAGE), after: parseCursor('after', after) };
    const answer = await this.query.page(id, request);
    if (answer.found) return answer.page;
    if (answer.missing === 'trace') throw notFound(id);
    throw new ApiError('invalid_parameter', 'after: not the cursor of an event of this trace', [
      { path: 'after', code: 'invalid_value', message: 'no such event', value: request.after },
    ]);
  }

  @Get('traces/:id/tree')
  @ApiOperation({
    summary: 'A trace as a tree of spans and groups, cut at RUNLOG_TRACE_TREE_MAX_NODES',
    description:
      'Spans, groups, annotations, media and unattached entries count one each; past the ' +
      'limit (or 1,000 levels deep, or 16 Mi characters of text) the tree is cut at that ' +
      'event and says so with `truncated`, `truncated_by`, `node_limit` and `omitted`.',
  })
  @ApiParam({ name: 'id', description: 'request_id (URL-encoded)' })
  @ApiResponse({ status: 200, schema: TREE_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown trace', schema: ERROR_SCHEMA })
  @RequireScope('read')
  async tree(@Param('id', IdParamPipe) id: string): Promise<TraceTree> {
    return found(id, await this.query.tree(id));
  }

  @Get('traces/:id/otlp')
  @ApiOperation({
    summary: 'A trace as OTLP JSON (ExportTraceServiceRequest), for Jaeger, Tempo or any OTLP tool',
    description:
      'Each span and group of the tree is a span (D53): its name, parent, start and end, ' +
      'status ERROR for `error`, annotations as attributes (`event.<name>` ones as span ' +
      'events), usage as `gen_ai.usage.input_tokens`/`output_tokens` and `runlog.cost_usd`. ' +
      'The trace id is the request_id when it is 32 hex digits, else a hash of it.',
  })
  @ApiParam({ name: 'id', description: 'request_id (URL-encoded)' })
  @ApiResponse({ status: 200, schema: OTLP_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown trace', schema: ERROR_SCHEMA })
  @RequireScope('read')
  @Header('content-type', 'application/json')
  async otlp(@Param('id', IdParamPipe) id: string): Promise<Buffer> {
    return Buffer.from(traceToOtlpJson(found(id, await this.query.tree(id))));
  }

  @Get('traces/:id/usage')
  @ApiOperation({
    summary: 'LLM usage of a trace, in total and by model (from the stored sums, no event read)',
  })
  @ApiParam({ name: 'id', description: 'request_id (URL-encoded)' })
  @ApiResponse({ status: 200, schema: USAGE_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown trace', schema: ERROR_SCHEMA })
  @RequireScope('read')
  async usage(@Param('id', IdParamPipe) id: string): Promise<TraceUsage> {
    return found(id, await this.query.usage(id));
  }

  @Get('usage')
  @ApiOperation({ summary: 'LLM usage by model over the traces that started in a time range' })
  @ApiQuery({ name: 'model', required: false })
  @ApiQuery({ name: 'since', required: false, description: 'RFC 3339 or epoch ms' })
  @ApiQuery({ name: 'until', required: false, description: 'RFC 3339 or epoch ms' })
  @ApiResponse({ status: 200, schema: USAGE_ACROSS_SCHEMA })
  @RequireScope('read')
  usageByModel(
    @Query('model') model: QueryValue,
    @Query('since') since: QueryValue,
    @Query('until') until: QueryValue,
  ) {
    return this.query.usageByModel({
      model: parseText('model', model),
      since: parseInstant('since', since),
      until: parseInstant('until', until),
    });
  }

  @Get('trace-store/gaps')
  @ApiOperation({
    summary: 'Gaps the projection saw: events removed by retention before it read them',
  })
  @ApiResponse({ status: 200, schema: GAPS_BODY_SCHEMA })
  @RequireScope('read')
  gaps(): Promise<GapList> {
    return this.query.gaps();
  }
}
