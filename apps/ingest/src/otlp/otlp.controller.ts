import { Body, Controller, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiError,
  callerOf,
  type ModelPrices,
  RequireScope,
  RUNLOG_CONFIG,
  type RunlogConfig,
} from '@runlog/platform';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { authorize } from '../http/api-keys';
import { INGEST_TAG } from '../http/openapi';
import { IntakeService } from '../intake/intake.service';
import { type RunlogEvent } from '@runlog/contracts';
import { decodeTraceRequest, encodeTraceResponse } from './otlp-protobuf';
import { type MappedRequest, mapTraceRequest, OtlpShapeError } from './otlp-spans';

/** OTLP ExportTraceServiceResponse (JSON encoding). */
export interface ExportTraceServiceResponse {
  readonly partialSuccess?: { readonly rejectedSpans: number; readonly errorMessage: string };
}

/** `POST /v1/traces`: OTLP/HTTP trace ingest (docs/decisions.md D39-D41). */
@ApiTags(INGEST_TAG)
@Controller('v1')
export class OtlpController {
  private readonly prices: ModelPrices | undefined;

  constructor(
    @Inject(IntakeService) private readonly intake: IntakeService,
    @Inject(RUNLOG_CONFIG) config: RunlogConfig,
  ) {
    this.prices = config.otlp.modelPrices;
  }

  @Post('traces')
  @HttpCode(200)
  @ApiOperation({
    summary: 'OTLP/HTTP trace ingest',
    description:
      'Takes an OTLP ExportTraceServiceRequest (application/json or application/x-protobuf; answered in the same type). Each span becomes trace-family events (op_start, annotations, llm_usage, op_end) of request_id = trace id, through the same validation and publisher as POST /v1/events. Spans that fail validation are counted in partialSuccess.rejectedSpans.',
  })
  @ApiConsumes('application/json', 'application/x-protobuf')
  @ApiResponse({
    status: 200,
    description: 'ExportTraceServiceResponse, partialSuccess when some spans were refused.',
  })
  @ApiResponse({ status: 400, description: 'The body is not an ExportTraceServiceRequest.' })
  @ApiResponse({
    status: 415,
    description: 'content-type is neither application/json nor application/x-protobuf.',
  })
  @ApiResponse({
    status: 503,
    description: 'JetStream did not take some events; retrying is safe (ids dedupe).',
  })
  @RequireScope('write')
  async export(
    @Req() request: FastifyRequest,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExportTraceServiceResponse | Buffer> {
    const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
    const protobuf = media === 'application/x-protobuf';
    if (media !== 'application/json' && !protobuf)
      throw new ApiError(
        'unsupported_media_type',
        'content-type must be application/json or application/x-protobuf',
      );
    authorize(callerOf(request), ['trace']);
    const mapped = mapOrRefuse(protobuf ? decodeOrRefuse(body) : body, this.prices);
    const receivedAt = new Date();
    const messages = [...mapped.refused];
    const events: RunlogEvent[] = [];
    for (const span of mapped.spans) {
      const validated = this.intake.validate(span.events, receivedAt);
      if (validated.ok) events.push(...validated.events);
      else {
        const first = validated.rejected[0]?.errors[0];
        messages.push(
          `span ${span.spanId}: ${first ? `${first.path} ${first.message}` : 'invalid'}`,
        );
      }
    }
    const { failed } = await this.intake.publish(events);
    if (failed.length > 0) {
      throw new ApiError(
        'unavailable',
        `JetStream did not take ${failed.length} events; retrying the export is safe (ids dedupe)`,
      );
    }
    const rejectedSpans = messages.length;
    const partial =
      rejectedSpans === 0 ? undefined : { rejectedSpans, errorMessage: messages.join('; ') };
    if (protobuf) {
      void reply.header('content-type', 'application/x-protobuf');
      return encodeTraceResponse(partial);
    }
    return partial === undefined ? {} : { partialSuccess: partial };
  }
}

function mapOrRefuse(body: unknown, prices: ModelPrices | undefined): MappedRequest {
  try {
    return mapTraceRequest(body, {
      price: (model, input, output) => prices?.cost(model, input, output),
    });
  } catch (error) {
    if (error instanceof OtlpShapeError) throw new ApiError('invalid_request', error.message);
    throw error;
  }
}

function decodeOrRefuse(body: unknown): Record<string, unknown> {
  if (!(body instanceof Uint8Array)) throw new ApiError('invalid_request', 'the body is empty');
  try {
    return decodeTraceRequest(body);
  } catch (error) {
    throw new ApiError(
      'invalid_request',
      `the body is not a protobuf ExportTraceServiceRequest: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
