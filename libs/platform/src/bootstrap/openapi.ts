import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** How a service describes itself in its OpenAPI document. */
export interface OpenApiOptions {
  readonly title: string;
  readonly description?: string;
}

/** The security scheme every OpenAPI document declares for `RUNLOG_API_KEYS`. */
export const API_KEY_SCHEME = 'api-key';

/** Where every service serves its OpenAPI document and Swagger UI (DESIGN.md §4). */
export const OPENAPI_PATHS = { ui: '/docs', json: '/docs-json' } as const;

/**
 * Serves Swagger UI at `GET /docs` and the document at `GET /docs-json` (no YAML).
 * Call before the app listens. The document is built on the first request, from the
 * routes Nest knows by then, so booting stays as fast as without it.
 */
export function serveOpenApi(app: INestApplication, options: OpenApiOptions): void {
  // The version of the HTTP API (the `/v1` of its routes), not of the package.
  let builder = new DocumentBuilder().setTitle(options.title).setVersion('1');
  if (options.description) builder = builder.setDescription(options.description);
  // Every route but the health probes takes `Authorization: Bearer <key>` (see RequireScope).
  builder = builder.addBearerAuth(
    {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'API key',
      description: 'A key of RUNLOG_API_KEYS, required when it is set (DESIGN.md §4)',
    },
    API_KEY_SCHEME,
  );
  // A relative server: the document describes whichever host and port serve it.
  const config = builder.addServer('/').build();
  const document = (): OpenAPIObject =>
    openRoutesDeclared(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup(OPENAPI_PATHS.ui, app, document, {
    jsonDocumentUrl: OPENAPI_PATHS.json,
    raw: ['json'],
    customSiteTitle: options.title,
  });
}

/**
 * An operation without a security requirement is open (`RequireScope('public')`, the health
 * probes): OpenAPI says so with an explicit empty `security`, so linters (redocly's
 * `security-defined`) and generated clients do not read it as "unspecified".
 */
function openRoutesDeclared(document: OpenAPIObject): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const) {
      const operation = path[method];
      if (operation && !operation.security) operation.security = [];
    }
  }
  return document;
}

/** The JSON Schema of the one error body every service answers (`{error: {code, message, details}}`). */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', example: 'invalid_parameter' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object' } },
      },
    },
  },
} as const;

/** The JSON Schema of the gaps routes of the projecting services (libs/store `GapList`). */
export const GAPS_BODY_SCHEMA = {
  type: 'object',
  properties: {
    gaps: {
      type: 'array',
      description: 'The newest 1,000 gaps, oldest first',
      items: {
        type: 'object',
        properties: {
          consumer: { type: 'string' },
          family: { type: 'string' },
          from_cursor: { type: 'string', pattern: '^[0-9]+$', description: 'A stream sequence' },
          to_cursor: { type: 'string', pattern: '^[0-9]+$', description: 'A stream sequence' },
          missing: { type: 'integer' },
          recorded_at: { type: 'string', format: 'date-time' },
        },
      },
    },
    gaps_omitted: { type: 'integer', description: 'Older gaps not listed (absent when none)' },
  },
} as const;
