import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
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
  ApiQueries,
  cursorParam,
  GAPS_BODY_SCHEMA,
  IdParamPipe,
  limitParam,
  Queries,
  type QueryOf,
  RequireScope,
  textParam,
} from '@runlog/platform';

const HISTORY_QUERY = { after: cursorParam('Cursor: events after it'), limit: limitParam() };
const LEASES_QUERY = {
  state: textParam(undefined, LEASE_STATES),
  owner: textParam(),
  after: textParam('The next_after of the previous page'),
  limit: limitParam(),
};

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
  @ApiQueries(HISTORY_QUERY)
  @ApiResponse({ status: 200, schema: HISTORY_SCHEMA })
  @ApiResponse({
    status: 404,
    description: 'No lease event for this execution',
    schema: ERROR_SCHEMA,
  })
  @RequireScope('read')
  async history(
    @Param('id', IdParamPipe) id: string,
    @Queries(HISTORY_QUERY) { after, limit }: QueryOf<typeof HISTORY_QUERY>,
  ): Promise<HistoryPage> {
    const page = await this.query.history(id, after, limit);
    if (!page) throw notFound(id);
    return page;
  }

  @Get('leases')
  @ApiOperation({ summary: 'Leases by execution id, filtered by state and owner' })
  @ApiQueries(LEASES_QUERY)
  @ApiResponse({ status: 200, schema: LEASES_SCHEMA })
  @RequireScope('read')
  leases(@Queries(LEASES_QUERY) filter: QueryOf<typeof LEASES_QUERY>): Promise<LeasesPage> {
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
