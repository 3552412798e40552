import { randomUUID } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import { type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { type RunlogConfig } from '../config/runlog-config';
import { ApiErrorFilter } from '../http/api-error.filter';
import { installAuth } from '../http/auth';
import { QuietWiringLogger } from '../logging/quiet-wiring-logger';
import { type OpenApiOptions, serveOpenApi } from './openapi';

export interface ServiceAppOptions {
  /** Largest request body Fastify accepts, in bytes. */
  readonly bodyLimit?: number;
  /** Let Nest handle SIGTERM/SIGINT itself (one service per process). */
  readonly shutdownHooks?: boolean;
  /** Serve OpenAPI at `GET /docs` (Swagger UI) and `GET /docs-json` (DESIGN.md §4). */
  readonly openapi?: OpenApiOptions;
  /**
   * JSON bodies keep `__proto__` and `constructor` keys as own properties (what
   * `JSON.parse` does) instead of Fastify refusing the whole body as "not valid JSON":
   * for a service that validates every body and refuses those names with their path.
   */
  readonly keepPrototypeKeys?: boolean;
  /** The keys every route is checked against, and the request timeouts (DESIGN.md §4). */
  readonly config: Pick<RunlogConfig, 'apiKeys' | 'http'>;
}

/**
 * The longest path parameter, in characters as sent (percent-encoded): an id of 1,024
 * UTF-8 bytes (the most ingest takes) is at most 3,072, so every accepted id reads back.
 */
export const MAX_PARAM_LENGTH = 4096;
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/** The caller's `x-request-id` (a sane one), else a new UUID. */
function requestId(request: Pick<IncomingMessage, 'headers'>): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && given.length > 0 && given.length <= 128
    ? given
    : randomUUID();
}

/**
 * A runlog service on Fastify: pino logs, the one error shape, graceful shutdown
 * (module destroy hooks stop consumers, then the bus drains), OpenAPI when asked.
 * Not yet listening.
 */
export async function createServiceApp(
  module: Type<unknown> | DynamicModule,
  options: ServiceAppOptions,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({
      bodyLimit: options.bodyLimit ?? 1024 * 1024,
      trustProxy: true,
      // One request id for Fastify, the request log and the caller: theirs when given.
      genReqId: requestId,
      routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
      ...(options.keepPrototypeKeys
        ? { onProtoPoisoning: 'ignore', onConstructorPoisoning: 'ignore' }
        : {}),
      // A slow upload cannot hold a connection: the whole request must arrive in time.
      requestTimeout: options.config.http.requestTimeoutMs,
      http: {
        headersTimeout: options.config.http.headersTimeoutMs,
        // Node looks for late requests this often (30 s by default): a timeout of a
        // second must be enforced within about a second.
        connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
      },
    }),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(new QuietWiringLogger(app.get(Logger)));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Before any route exists: every route is checked, before its body is read.
  installAuth(fastify, options.config);
  app.useGlobalFilters(new ApiErrorFilter());
  if (options.shutdownHooks) app.enableShutdownHooks();
  if (options.openapi) serveOpenApi(app, options.openapi);
  return app;
}
