import {
  Controller,
  Get,
  Headers,
  Inject,
  Logger,
  type OnModuleDestroy,
  Param,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Bus } from '@runlog/bus';
import { FAMILIES, type Family, familyRetention, keyOfSubjectAttribute } from '@runlog/contracts';
import {
  ApiError,
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
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { ErrorBodySchema, INGEST_TAG } from './openapi';

/**
 * `GET /v1/stream/{family}` (docs/decisions.md D43): any family as Server-Sent Events,
 * the replay from a cursor (or the end, when no cursor is given), a `caught_up` frame,
 * then live, through the bus's ordered consumer (no gap or duplicate between the two).
 * Each frame is `id: <cursor>`, `event: <kind>`, `data: <the stored event, with cursor>`.
 * `key` keeps one partition key (the event's `subject` attribute: `<thread>.<run>` for
 * canonical). agent is a work-queue stream and cannot be tailed (400). The caps and
 * scope are the lease stream's.
 */
@ApiTags(INGEST_TAG)
@Controller('v1/stream')
export class FamilyStreamController implements OnModuleDestroy {
  private readonly streams: SseRoutes;

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(RUNLOG_CONFIG) config: RunlogConfig,
  ) {
    this.streams = new SseRoutes(config, new Logger('FamilyStream'));
  }

  @Get(':family')
  @ApiOperation({
    summary: 'Tail a family as Server-Sent Events: replay from a cursor (or the end), then live',
  })
  @ApiProduces('text/event-stream')
  @ApiParam({ name: 'family', enum: [...FAMILIES] })
  @ApiQuery({
    name: 'after',
    required: false,
    description: 'Cursor: start after it (0: the whole stream); absent: from the end',
  })
  @ApiQuery({
    name: 'key',
    required: false,
    description:
      'Only this partition key (the `subject` attribute; `<thread>.<run>` for canonical)',
  })
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
    description:
      'An endless `text/event-stream`: events (`event: <kind>`), one `caught_up`, `undecodable`',
  })
  @ApiResponse({
    status: 400,
    description: 'A bad parameter, or agent (a work-queue stream)',
    type: ErrorBodySchema,
  })
  @ApiResponse({ status: 404, description: 'No such family', type: ErrorBodySchema })
  @ApiResponse({
    status: 429,
    description: 'RUNLOG_SSE_MAX streams are open (or RUNLOG_SSE_MAX_PER_KEY for this key)',
    headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } },
    type: ErrorBodySchema,
  })
  @RequireScope('read', { queryToken: true })
  async stream(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('family') familyParam: string,
    @Query('after') after: QueryValue,
    @Query('key') keyParam: QueryValue,
    @Headers('last-event-id') lastEventId: QueryValue,
  ): Promise<void> {
    if (!(FAMILIES as readonly string[]).includes(familyParam))
      throw new ApiError('not_found', `no family "${familyParam}"`, [
        { path: 'family', code: 'unknown_family', message: `one of ${FAMILIES.join(', ')}` },
      ]);
    const family = familyParam as Family;
    if (familyRetention(family) === 'workqueue')
      throw new ApiError(
        'invalid_parameter',
        `family: ${family} is a work-queue stream (its consumer removes what it reads); tail canonical instead`,
        [{ path: 'family', code: 'not_tailable', message: 'a work-queue stream' }],
      );
    const resume = lastEventId !== undefined && lastEventId !== '' ? lastEventId : after;
    const fromEnd = resume === undefined || resume === '';
    const resumeAt = parseCursor(resume === lastEventId ? 'Last-Event-ID' : 'after', resume);
    const keyText = parseText('key', keyParam);
    const key = keyText === undefined ? undefined : keyOfSubjectAttribute(family, keyText);
    if (keyText !== undefined && key === undefined)
      throw new ApiError('invalid_parameter', `key: not a ${family} key: "${keyText}"`, [
        { path: 'key', code: 'invalid_value', message: 'expected <thread_id>.<run_id>' },
      ]);
    await this.streams.serve(callerOf(request), reply, `${family} stream`, (signal) =>
      subscriptionFrames(
        this.bus.subscribe(family, {
          ...(fromEnd ? { fromEnd: true } : { after: String(resumeAt) }),
          ...(key === undefined ? {} : { key }),
          signal,
        }),
        (event) => event,
      ),
    );
  }

  /** Ends every open stream at shutdown, so the HTTP server can close. */
  onModuleDestroy(): void {
    this.streams.close();
  }
}
