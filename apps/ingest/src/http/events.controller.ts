import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { Bus } from '@runlog/bus';
import { FAMILIES, type Family, streamName } from '@runlog/contracts';
import {
  ApiError,
  errorBody,
  type ErrorBody,
  RUNLOG_CONFIG,
  type RunlogConfig,
} from '@runlog/platform';
import { type FastifyReply } from 'fastify';
import {
  type AcceptedEvent,
  type FailedEvent,
  familyOfInput,
  IntakeService,
  type RejectedEvent,
} from '../intake/intake.service';
import { authenticate, authorize } from './api-keys';
import { eventsOfRequest } from './cloudevents-http';

type RequestHeaders = Record<string, string | string[] | undefined>;

/** 202: every event written (or sent live). */
export interface AcceptedBody {
  readonly accepted: readonly AcceptedEvent[];
}
/** 400: nothing written; every invalid event with every error. */
export interface RejectedBody extends ErrorBody {
  readonly rejected: readonly RejectedEvent[];
}
/** 503: JetStream did not take some events; `accepted` were written. Retrying the batch is safe. */
export interface UnavailableBody extends ErrorBody {
  readonly accepted: readonly AcceptedEvent[];
  readonly failed: readonly FailedEvent[];
}

export interface FamilyInfo {
  readonly family: Family;
  readonly stream: string;
  readonly messages: number;
  readonly first_cursor: string | null;
  readonly last_cursor: string | null;
}

/** `POST /v1/events` and `GET /v1/families` (DESIGN.md §4). */
@Controller('v1')
export class EventsController {
  constructor(
    @Inject(IntakeService) private readonly intake: IntakeService,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(RUNLOG_CONFIG) private readonly config: RunlogConfig,
  ) {}

  @Post('events')
  @HttpCode(202)
  async publish(
    @Headers() headers: RequestHeaders,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AcceptedBody | RejectedBody | UnavailableBody> {
    const receivedAt = new Date();
    const caller = authenticate(this.config.apiKeys, first(headers['authorization']));
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
  async families(): Promise<{ families: FamilyInfo[] }> {
    const families = await Promise.all(
      FAMILIES.map(async (family): Promise<FamilyInfo> => {
        const stream = streamName(family);
        const { state } = await this.bus.manager.streams.info(stream).catch((error: unknown) => {
          throw new ApiError(
            'unavailable',
            `stream ${stream} is not available: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
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

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
