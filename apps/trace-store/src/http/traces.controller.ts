import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiError,
  IdParamPipe,
  parseCount,
  parseInstant,
  parseLimit,
  parseText,
  type QueryValue,
  RequireScope,
} from '@runlog/platform';
import { type StoredGap } from '@runlog/store';
import {
  decodeSearchCursor,
  type TraceBody,
  TraceQueryService,
  type TraceListItem,
} from '../query/trace-query.service';
import { type TraceUsage } from '../trace/trace-model';
import { type TraceTree } from '../trace/trace-tree';
import {
  ERROR_SCHEMA,
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
  @ApiOperation({ summary: 'A trace: its events in (timestamp, seq) order, with warnings' })
  @ApiParam({ name: 'id', description: 'request_id (URL-encoded)' })
  @ApiResponse({ status: 200, schema: TRACE_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown trace', schema: ERROR_SCHEMA })
  @RequireScope('read')
  async trace(@Param('id', IdParamPipe) id: string): Promise<TraceBody> {
    return found(id, await this.query.trace(id));
  }

  @Get('traces/:id/tree')
  @ApiOperation({ summary: 'A trace as a tree of spans and groups' })
  @ApiParam({ name: 'id', description: 'request_id (URL-encoded)' })
  @ApiResponse({ status: 200, schema: TREE_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown trace', schema: ERROR_SCHEMA })
  @RequireScope('read')
  async tree(@Param('id', IdParamPipe) id: string): Promise<TraceTree> {
    return found(id, await this.query.tree(id));
  }

  @Get('traces/:id/usage')
  @ApiOperation({ summary: 'LLM usage of a trace, in total and by model' })
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
  @RequireScope('read')
  async gaps(): Promise<{ gaps: readonly StoredGap[] }> {
    return { gaps: await this.query.gaps() };
  }
}
