import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  type Type,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Bus, type DeadLetter } from '@runlog/bus';
import { ApiError } from './api-error';
import { RequireScope } from './auth';
import { parseCursor, parseLimit, type QueryValue } from './query-params';

const decoder = new TextDecoder();

/** The wire shape of one dead letter (the CLI's `runlog dlq list --json` row). */
export function deadLetterJson(letter: DeadLetter): Record<string, unknown> {
  return {
    dead_letter_seq: String(letter.deadLetterSeq),
    consumer: letter.consumer,
    family: letter.family,
    cause: letter.cause,
    reason: letter.reason,
    original_stream: letter.originalStream,
    original_cursor: String(letter.originalSeq),
    original_subject: letter.originalSubject,
    deliveries: letter.deliveries,
    at: letter.at,
    truncated: letter.truncated,
    headers: letter.headers,
    body: decoder.decode(letter.body),
  };
}

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: {} },
      },
    },
  },
} as const;

/**
 * The dead-letter admin routes of a service (docs/decisions.md D44), for the durable
 * consumers it owns: `GET /v1/dead-letters/{consumer}` lists the parked messages (cause,
 * reason, original cursor, body), `POST …/replay` re-drives some (`{"ids": [...]}`) or all
 * (`{"all": true}`), `DELETE …/{id}` drops one. All need the `admin` scope.
 */
export function deadLettersController(tag: string, consumers: readonly string[]): Type<unknown> {
  const own = (consumer: string): string => {
    if (!consumers.includes(consumer))
      throw new ApiError('not_found', `this service owns no consumer "${consumer}"`, [
        { path: 'consumer', code: 'unknown_consumer', message: `one of ${consumers.join(', ')}` },
      ]);
    return consumer;
  };
  const sequence = (value: string): number => {
    const id = /^[1-9]\d{0,15}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id))
      throw new ApiError('invalid_parameter', `id: not a dead-letter sequence: "${value}"`, [
        { path: 'id', code: 'invalid_value', message: 'a positive integer' },
      ]);
    return id;
  };
  const consumerParam = ApiParam({ name: 'consumer', enum: [...consumers] });

  @ApiTags(tag)
  @Controller('v1/dead-letters')
  class DeadLettersController {
    constructor(@Inject(Bus) readonly bus: Bus) {}

    @Get(':consumer')
    @ApiOperation({ summary: "A consumer's dead letters, oldest first (paged by `after`)" })
    @consumerParam
    @ApiQuery({ name: 'after', required: false, description: 'Dead-letter sequence: after it' })
    @ApiQuery({ name: 'limit', required: false, description: 'At most this many (100; 1,000)' })
    @ApiResponse({
      status: 200,
      description: '`{"consumer", "dead_letters": [...], "next_after"}` (null at the end)',
    })
    @ApiResponse({
      status: 404,
      description: 'Not a consumer of this service',
      schema: ERROR_SCHEMA,
    })
    @RequireScope('admin')
    async list(
      @Param('consumer') consumer: string,
      @Query('after') after: QueryValue,
      @Query('limit') limit: QueryValue,
    ): Promise<Record<string, unknown>> {
      const name = own(consumer);
      const count = parseLimit(limit);
      const letters = await this.bus.deadLetters.list(name, {
        after: parseCursor('after', after),
        limit: count,
      });
      const last = letters.at(-1);
      return {
        consumer: name,
        dead_letters: letters.map(deadLetterJson),
        next_after: letters.length === count && last ? String(last.deadLetterSeq) : null,
      };
    }

    @Post(':consumer/replay')
    @HttpCode(200)
    @ApiOperation({
      summary: 'Re-drive dead letters to their consumer: `{"ids": ["7", ...]}` or `{"all": true}`',
    })
    @consumerParam
    @ApiBody({
      schema: {
        type: 'object',
        properties: {
          ids: { type: 'array', items: { type: 'string' } },
          all: { type: 'boolean' },
        },
      },
    })
    @ApiResponse({
      status: 200,
      description: '`{"consumer", "replayed": n, "ids": [...]}` (ids: those re-driven, for `ids`)',
    })
    @ApiResponse({ status: 400, description: 'Neither ids nor all', schema: ERROR_SCHEMA })
    @ApiResponse({
      status: 404,
      description: 'Not a consumer of this service',
      schema: ERROR_SCHEMA,
    })
    @RequireScope('admin')
    async replay(
      @Param('consumer') consumer: string,
      @Body() body: unknown,
    ): Promise<Record<string, unknown>> {
      const name = own(consumer);
      const request = (typeof body === 'object' && body !== null ? body : {}) as Record<
        string,
        unknown
      >;
      if (request['all'] === true) {
        return { consumer: name, replayed: await this.bus.deadLetters.replay(name) };
      }
      const ids = request['ids'];
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 1_000)
        throw new ApiError(
          'invalid_request',
          'send {"ids": [1 to 1,000 sequences]} or {"all": true}',
        );
      const replayed = await this.bus.deadLetters.replayIds(
        name,
        ids.map((id) => sequence(String(id))),
      );
      return { consumer: name, replayed: replayed.length, ids: replayed.map(String) };
    }

    @Delete(':consumer/:id')
    @HttpCode(204)
    @ApiOperation({ summary: 'Delete one dead letter (it is not re-driven)' })
    @consumerParam
    @ApiParam({ name: 'id', description: 'Its sequence in RUNLOG_DEADLETTER' })
    @ApiResponse({ status: 204, description: 'Deleted' })
    @ApiResponse({ status: 404, description: 'No such dead letter here', schema: ERROR_SCHEMA })
    @RequireScope('admin')
    async remove(@Param('consumer') consumer: string, @Param('id') id: string): Promise<void> {
      const name = own(consumer);
      if (!(await this.bus.deadLetters.delete(name, sequence(id))))
        throw new ApiError('not_found', `${name} has no dead letter ${id}`);
    }
  }
  return DeadLettersController;
}
