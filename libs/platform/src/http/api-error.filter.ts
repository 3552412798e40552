import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { ApiError, type ApiErrorCode, errorBody, statusForCode } from './api-error';

/** Codes for Nest's and Fastify's own HTTP errors, so they answer in the same shape. */
function codeForStatus(status: number): ApiErrorCode {
  if (status === 400) return 'invalid_request';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'internal' : 'invalid_request';
}

/**
 * Turns every error into `{"error":{"code","message","details"}}`. Bugs answer 500 with
 * a generic message (the stack goes to the log, never to the client).
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof ApiError) {
      for (const [name, value] of Object.entries(exception.headers)) void reply.header(name, value);
      void reply
        .status(statusForCode(exception.code))
        .send(errorBody(exception.code, exception.message, exception.details));
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const malformed = status === 400 && isJsonSyntaxError(exception.cause ?? exception);
      const code = malformed ? 'malformed_json' : codeForStatus(status);
      void reply.status(status).send(errorBody(code, exception.message));
      return;
    }
    const fastifyStatus = statusOfFastifyError(exception);
    if (fastifyStatus !== undefined && fastifyStatus < 500) {
      const message = exception instanceof Error ? exception.message : 'invalid request';
      const code = isJsonSyntaxError(exception) ? 'malformed_json' : codeForStatus(fastifyStatus);
      void reply.status(fastifyStatus).send(errorBody(code, message));
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    void reply.status(500).send(errorBody('internal', 'internal error'));
  }
}

/** Fastify's own errors (body too large, bad JSON, bad content type) carry `statusCode`. */
function statusOfFastifyError(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

/** Fastify's JSON parser rejects a body that is not JSON with a 400 SyntaxError. */
function isJsonSyntaxError(error: unknown): boolean {
  if (error instanceof SyntaxError) return true;
  if (error instanceof Error && /not valid JSON/i.test(error.message)) return true;
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : '';
  return typeof code === 'string' && code.includes('INVALID_JSON');
}
