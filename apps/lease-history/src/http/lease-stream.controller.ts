import {
  Controller,
  Get,
  Headers,
  Inject,
  Logger,
  type OnModuleDestroy,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiHeader,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Bus } from '@runlog/bus';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { historyEvent } from '../query/lease-query.service';
import { ERROR_SCHEMA, HISTORY_EVENT_SCHEMA } from './openapi';
import {
  callerOf,
  parseCursor,
  parseText,
  type QueryValue,
  RequireScope,
  RUNLOG_CONFIG,
  type RunlogConfig,
  SseRoutes,
  subscriptionFrames,
} from '@runlog/platform';

/**
 * `GET /v1/lease-history/stream` (DESIGN.md §4): Server-Sent Events of lease events, the
 * replay from a cursor first, then live, through the bus's ordered consumer, so there is
 * no gap or duplicate between the two. Each frame is `id: <cursor>`, `event: <kind>`,
 * `data: <history event>`; a `caught_up` frame marks the end of the replay. A reconnecting
 * client sends `Last-Event-ID` and resumes after it.
 */
@ApiTags('lease-history')
@Controller('v1/lease-history')
export class LeaseStreamController implements OnModuleDestroy {
  private readonly streams: SseRoutes;

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(RUNLOG_CONFIG) config: RunlogConfig,
  ) {
    this.streams = new SseRoutes(config, new Logger('LeaseStream'));
  }

  @Get('stream')
  @ApiOperation({ summary: 'Lease events as Server-Sent Events: replay from a cursor, then live' })
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'after', required: false, description: 'Cursor: start after it' })
  @ApiQuery({ name: 'execution_id', required: false, description: 'Only this execution' })
  @ApiQuery({
    name: 'access_token',
    required: false,
    description: 'The API key, for clients that cannot set headers (EventSource)',
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this cursor (wins over `after`)',
  })
  @ApiResponse({
    status: 200,
    description: 'An endless `text/event-stream`; each `data` is a history event',
    content: { 'text/event-stream': { schema: HISTORY_EVENT_SCHEMA } },
  })
  @ApiResponse({ status: 400, description: 'A bad parameter', schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 429,
    description: 'RUNLOG_SSE_MAX streams are open (or RUNLOG_SSE_MAX_PER_KEY for this key)',
    headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } },
    schema: ERROR_SCHEMA,
  })
  @RequireScope('read', { queryToken: true })
  async stream(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query('after') after: QueryValue,
    @Query('execution_id') executionId: QueryValue,
    @Headers('last-event-id') lastEventId: QueryValue,
  ): Promise<void> {
    const resumeAt =
      lastEventId !== undefined && lastEventId !== ''
        ? parseCursor('Last-Event-ID', lastEventId)
        : parseCursor('after', after);
    const execution = parseText('execution_id', executionId);
    await this.streams.serve(callerOf(request), reply, 'lease stream', (signal) =>
      subscriptionFrames(
        this.bus.subscribe('lease_history', {
          after: String(resumeAt),
          ...(execution === undefined ? {} : { key: execution }),
          signal,
        }),
        (event) =>
          historyEvent(
            {
              cursor: event.cursor,
              kind: event.kind,
              id: event.id,
              time: event.time,
              data: event.data,
            },
            event.extensions,
          ),
      ),
    );
  }

  /** Ends every open stream at shutdown, so the HTTP server can close. */
  onModuleDestroy(): void {
    this.streams.close();
  }
}
