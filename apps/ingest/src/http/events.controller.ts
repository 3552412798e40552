import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiHeader,
  ApiHeaders,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Bus } from '@runlog/bus';
import { FAMILIES, streamName } from '@runlog/contracts';
import { ApiError, callerOf, ERROR_BODY_SCHEMA, errorBody, RequireScope } from '@runlog/platform';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { familyOfInput, IntakeService } from '../intake/intake.service';
import { authorize } from './api-keys';
import { EVENT_MEDIA_TYPES, eventsOfRequest } from './cloudevents-http';
import {
  ACCEPTED_EXAMPLE,
  AcceptedBodySchema,
  AUTHORIZATION_HEADER,
  BAD_REQUEST_EXAMPLES,
  BINARY_MODE_HEADERS,
  CloudEventSchema,
  ErrorBodySchema,
  EVENTS_REQUEST_EXAMPLES,
  EVENTS_REQUEST_SCHEMA,
  FAMILIES_EXAMPLE,
  FAMILIES_UNAVAILABLE_EXAMPLE,
  FamiliesBodySchema,
  FORBIDDEN_EXAMPLE,
  INGEST_TAG,
  PAYLOAD_TOO_LARGE_EXAMPLES,
  RejectedBodySchema,
  UNAUTHORIZED_EXAMPLE,
  UNAVAILABLE_EXAMPLE,
  UnavailableBodySchema,
  UNSUPPORTED_MEDIA_TYPE_EXAMPLE,
} from './openapi';

import {
  type AcceptedBody,
  type FamilyInfo,
  type RejectedBody,
  type UnavailableBody,
} from './responses';

type RequestHeaders = Record<string, string | string[] | undefined>;

/** `POST /v1/events` and `GET /v1/families` (DESIGN.md §4); OpenAPI details in `./openapi`. */
@ApiTags(INGEST_TAG)
@Controller('v1')
export class EventsController {
  constructor(
    @Inject(IntakeService) private readonly intake: IntakeService,
    @Inject(Bus) private readonly bus: Bus,
  ) {}

  @Post('events')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Publish one CloudEvent or a batch',
    description:
      'Takes one CloudEvent, or an array of at most INGEST_MAX_BATCH (default 1000) within INGEST_MAX_BODY_BYTES (default 4 MiB), in structured mode or (one event) binary mode. All are validated first: one invalid event rejects the batch and nothing is written. Then each is published to its family stream (msgID = id, so a resend dedupes); live-only engine kinds go to core NATS.',
  })
  @ApiConsumes(...EVENT_MEDIA_TYPES)
  @ApiExtraModels(CloudEventSchema)
  @ApiBody({ schema: EVENTS_REQUEST_SCHEMA, examples: EVENTS_REQUEST_EXAMPLES })
  @ApiHeader(AUTHORIZATION_HEADER)
  @ApiHeaders(BINARY_MODE_HEADERS)
  @ApiResponse({
    status: 202,
    description: 'Every event was written (or sent live), in request order.',
    type: AcceptedBodySchema,
    example: ACCEPTED_EXAMPLE,
  })
  @ApiResponse({
    status: 400,
    description:
      'Invalid events (`rejected` names each with every error; nothing was written), malformed JSON, an empty batch, or a body that does not fit its content-type.',
    type: RejectedBodySchema,
    examples: BAD_REQUEST_EXAMPLES,
  })
  @ApiResponse({
    status: 401,
    description: 'RUNLOG_API_KEYS is set and the key is missing or unknown.',
    schema: ERROR_BODY_SCHEMA,
    example: UNAUTHORIZED_EXAMPLE,
  })
  @ApiResponse({
    status: 403,
    description: 'The key may not write a family in the batch; nothing was written.',
    schema: ERROR_BODY_SCHEMA,
    example: FORBIDDEN_EXAMPLE,
  })
  @ApiResponse({
    status: 413,
    description: 'More than INGEST_MAX_BATCH events, or a body over INGEST_MAX_BODY_BYTES.',
    type: ErrorBodySchema,
    examples: PAYLOAD_TOO_LARGE_EXAMPLES,
  })
  @ApiResponse({
    status: 415,
    description: `content-type is not one of ${EVENT_MEDIA_TYPES.join(', ')} (binary mode: application/json only).`,
    type: ErrorBodySchema,
    example: UNSUPPORTED_MEDIA_TYPE_EXAMPLE,
  })
  @ApiResponse({
    status: 503,
    description:
      'JetStream did not take some events: `accepted` were written, `failed` were not. Retrying the same batch is safe (ids dedupe).',
    type: UnavailableBodySchema,
    example: UNAVAILABLE_EXAMPLE,
  })
  @RequireScope('write')
  async publish(
    @Req() request: FastifyRequest,
    @Headers() headers: RequestHeaders,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AcceptedBody | RejectedBody | UnavailableBody> {
    const receivedAt = new Date();
    const caller = callerOf(request);
    const inputs = eventsOfRequest(headers, body);
    if (inputs.length === 0) throw new ApiError('empty_batch', 'the batch holds no events');
    if (inputs.length > this.intake.maxBatch)
      throw new ApiError(
        'too_many_events',
        `the batch holds ${inputs.length} events; at most ${this.intake.maxBatch} (INGEST_MAX_BATCH)`,
      );
    authorize(caller, inputs.map(familyOfInput));

    const validated = this.intake.validate(inputs, receivedAt);
    if (!validated.ok) {
      const { rejected } = validated;
      const confidential = rejected.some((r) =>
        r.errors.some((e) => e.code === 'confidentiality_violation'),
      );
      void reply.status(400);
      return {
        ...errorBody(
          confidential ? 'confidentiality_violation' : 'validation_failed',
          `${rejected.length} of ${inputs.length} events are invalid; nothing was written`,
          [...rejected],
        ),
        rejected,
      };
    }
    const { accepted, failed } = await this.intake.publish(validated.events);
    if (failed.length === 0) return { accepted };
    void reply.status(503);
    return {
      ...errorBody(
        'unavailable',
        `JetStream did not take ${failed.length} of ${inputs.length} events; retrying the batch is safe (ids dedupe)`,
        [...failed],
      ),
      accepted,
      failed,
    };
  }

  @Get('families')
  @ApiOperation({
    summary: 'List the family streams',
    description: 'Each family with its stream, message count, and first and last cursor.',
  })
  @ApiResponse({ status: 200, type: FamiliesBodySchema, example: FAMILIES_EXAMPLE })
  @ApiResponse({
    status: 503,
    description: 'A family stream cannot be read.',
    type: ErrorBodySchema,
    example: FAMILIES_UNAVAILABLE_EXAMPLE,
  })
  @RequireScope('read')
  async families(): Promise<{ families: FamilyInfo[] }> {
    const families = await Promise.all(
      FAMILIES.map(async (family): Promise<FamilyInfo> => {
        const stream = streamName(family);
        const info = await this.bus.streamInfo(stream).catch((error: unknown) => {
          throw new ApiError(
            'unavailable',
            `stream ${stream} is not available: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
        if (info === undefined)
          throw new ApiError('unavailable', `stream ${stream} is not available: it does not exist`);
        const { state } = info;
        const empty = state.messages === 0;
        return {
          family,
          stream,
          messages: state.messages,
          first_cursor: empty ? null : String(state.first_seq),
          last_cursor: empty ? null : String(state.last_seq),
        };
      }),
    );
    return { families };
  }
}
