import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type GapList } from '@runlog/store';
import {
  type HistoryPage,
  LEASE_ANOMALIES_CAP,
  type LeaseAnswer,
  LeaseQueryService,
  type LeasesPage,
} from '../query/lease-query.service';
import { ERROR_SCHEMA, HISTORY_SCHEMA, LEASE_SCHEMA, LEASE_STATES, LEASES_SCHEMA } from './openapi';
import {
  ApiError,
  GAPS_BODY_SCHEMA,
  IdParamPipe,
  parseCursor,
  parseLimit,
  parseText,
  type QueryValue,
  RequireScope,
} from '@runlog/platform';

const notFound = (executionId: string) =>
  new ApiError('not_found', `no lease events for execution ${executionId}`, [
    { path: 'id', code: 'not_found', message: 'unknown execution id', value: executionId },
  ]);

/** Lease state, history and listings (DESIGN.md §4); ids with `{`, `}` or `:` URL-encoded. */
@ApiTags('lease-history')
@ApiResponse({
  status: 400,
  description: 'A bad parameter, named in `details`',
  schema: ERROR_SCHEMA,
})
@Controller('v1')
export class LeasesController {
  constructor(@Inject(LeaseQueryService) private readonly query: LeaseQueryService) {}

  @Get('executions/:id/lease')
  @ApiOperation({
    summary: 'The current lease of an execution, with its outcome and anomalies',
    description: `Anomalies: the first ${LEASE_ANOMALIES_CAP} in cursor order; \`anomalies_omitted\` counts the rest.`,
  })
  @ApiParam({ name: 'id', description: 'execution_id (URL-encoded)' })
  @ApiResponse({ status: 200, schema: LEASE_SCHEMA })
  @ApiResponse({
    status: 404,
    description: 'No lease event for this execution',
    schema: ERROR_SCHEMA,
  })
  @RequireScope('read')
  async lease(@Param('id', IdParamPipe) id: string): Promise<LeaseAnswer> {
    const lease = await this.query.lease(id);
    if (!lease) throw notFound(id);
    return lease;
  }

  @Get('executions/:id/lease-history')
  @ApiOperation({ summary: 'Lease events of an execution in cursor order, a page at a time' })
  @ApiParam({ name: 'id', description: 'execution_id (URL-encoded)' })
  @ApiQuery({ name: 'after', required: false, description: 'Cursor: events after it' })
  @ApiQuery({ name: 'limit', required: false, description: '1..1000, default 100' })
  @ApiResponse({ status: 200, schema: HISTORY_SCHEMA })
  @ApiResponse({
    status: 404,
    description: 'No lease event for this execution',
    schema: ERROR_SCHEMA,
  })
  @RequireScope('read')
  async history(
    @Param('id', IdParamPipe) id: string,
    @Query('after') after: QueryValue,
    @Query('limit') limit: QueryValue,
  ): Promise<HistoryPage> {
    const page = await this.query.history(id, parseCursor('after', after), parseLimit(limit));
    if (!page) throw notFound(id);
    return page;
  }

  @Get('leases')
  @ApiOperation({ summary: 'Leases by execution id, filtered by state and owner' })
  @ApiQuery({ name: 'state', required: false, enum: LEASE_STATES })
  @ApiQuery({ name: 'owner', required: false })
  @ApiQuery({ name: 'after', required: false, description: 'The next_after of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1..1000, default 100' })
  @ApiResponse({ status: 200, schema: LEASES_SCHEMA })
  @RequireScope('read')
  leases(
    @Query('state') state: QueryValue,
    @Query('owner') owner: QueryValue,
    @Query('after') after: QueryValue,
    @Query('limit') limit: QueryValue,
  ): Promise<LeasesPage> {
    const filter = {
      state: parseText('state', state, LEASE_STATES),
      owner: parseText('owner', owner),
      after: parseText('after', after),
      limit: parseLimit(limit),
    };
    return this.query.leases(filter);
  }

  @Get('lease-history/gaps')
  @ApiOperation({
    summary: 'Gaps the projection saw: events removed by retention before it read them',
  })
  @ApiResponse({ status: 200, schema: GAPS_BODY_SCHEMA })
  @RequireScope('read')
  gaps(): Promise<GapList> {
    return this.query.gaps();
  }
}
