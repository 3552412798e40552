import { loadConfig, OPENAPI_PATHS, type RunningServices, startServices } from '@runlog/platform';
import { traceStoreService } from '../../apps/trace-store/src/trace-store.service-definition';
import {
  ACCEPTED_EXAMPLE,
  BINARY_MODE_HEADERS,
  EVENTS_REQUEST_EXAMPLES,
  FAMILIES_EXAMPLE,
  REJECTED_EXAMPLE,
  UNAVAILABLE_EXAMPLE,
  UNSUPPORTED_MEDIA_TYPE_EXAMPLE,
} from '../../apps/ingest/src/http/openapi';
import { EVENT_MEDIA_TYPES } from '../../apps/ingest/src/http/cloudevents-http';
import { type IngestFixture, startIngest } from './ingest-fixtures';

type Rec = Record<string, unknown>;

async function getJson(url: string): Promise<{ status: number; type: string; body: Rec }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Rec,
  };
}

/** Follows `#/components/schemas/X` in the document. */
function resolve(document: Rec, schema: unknown): Rec {
  const ref = (schema as { $ref?: string }).$ref;
  if (!ref) return schema as Rec;
  const name = ref.replace('#/components/schemas/', '');
  const schemas = (document['components'] as { schemas: Record<string, Rec> }).schemas;
  return schemas[name]!;
}

let fx: IngestFixture;
beforeAll(async () => {
  fx = await startIngest();
});
afterAll(() => fx?.close(), 30_000);

describe('OpenAPI of ingest', () => {
  let document: Rec;
  beforeAll(async () => {
    const answer = await getJson(`${fx.url}${OPENAPI_PATHS.json}`);
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^application\/json/);
    document = answer.body;
  });

  type Operation = {
    requestBody: { content: Record<string, { schema: unknown; examples: Rec }> };
    responses: Record<
      string,
      { content: Record<string, { schema: unknown; example?: unknown; examples?: Rec }> }
    >;
    parameters: Array<{ name: string; in: string }>;
    security: unknown[];
  };
  const operation = (path: string, method: string): Operation =>
    (document['paths'] as Record<string, Record<string, Operation>>)[path]![method]!;

  it('is an OpenAPI 3 document titled with the service, with the ingest routes', () => {
    expect(document['openapi']).toMatch(/^3\./);
    expect(document['info']).toMatchObject({ title: 'runlog ingest' });
    const paths = document['paths'] as Record<string, Rec>;
    expect(Object.keys(paths['/v1/events']!)).toEqual(['post']);
    expect(Object.keys(paths['/v1/families']!)).toEqual(['get']);
    expect(paths['/health/ready']).toHaveProperty('get');
    expect(paths['/metrics']).toHaveProperty('get');
  });

  it('describes POST /v1/events: media types, examples, headers, and every answer', () => {
    const post = operation('/v1/events', 'post');
    expect(Object.keys(post.requestBody.content).sort()).toEqual([...EVENT_MEDIA_TYPES].sort());
    for (const media of EVENT_MEDIA_TYPES)
      expect(Object.keys(post.requestBody.content[media]!.examples)).toEqual(
        expect.arrayContaining(['event', 'batch']),
      );

    const names = post.parameters.filter((p) => p.in === 'header').map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(['Authorization', 'ce-specversion', 'ce-id', 'ce-source', 'ce-type']),
    );
    expect(post.security).toEqual([{ 'api-key': [] }]);
    expect(document['components']).toMatchObject({
      securitySchemes: { 'api-key': { type: 'http', scheme: 'bearer' } },
    });

    expect(Object.keys(post.responses).sort()).toEqual(
      ['202', '400', '401', '403', '413', '415', '503'].sort(),
    );
    const body = (status: string) => post.responses[status]!.content['application/json']!;
    expect(body('202').example).toEqual(ACCEPTED_EXAMPLE);
    expect(Object.keys(resolve(document, body('202').schema)['properties'] as Rec)).toEqual([
      'accepted',
    ]);
    expect(Object.keys(resolve(document, body('400').schema)['properties'] as Rec).sort()).toEqual([
      'error',
      'rejected',
    ]);
    expect(Object.keys(resolve(document, body('503').schema)['properties'] as Rec).sort()).toEqual([
      'accepted',
      'error',
      'failed',
    ]);
    expect(body('503').example).toEqual(UNAVAILABLE_EXAMPLE);
    expect(body('400').examples?.['validation_failed']).toMatchObject({ value: REJECTED_EXAMPLE });
  });

  it('describes GET /v1/families with an example answer', () => {
    const get = operation('/v1/families', 'get');
    const ok = get.responses['200']!.content['application/json']!;
    expect(ok.example).toEqual(FAMILIES_EXAMPLE);
    expect(Object.keys(resolve(document, ok.schema)['properties'] as Rec)).toEqual(['families']);
  });

  it('serves Swagger UI at /docs, with its assets and the document', async () => {
    const page = await fetch(`${fx.url}${OPENAPI_PATHS.ui}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<title>runlog ingest</title>');
    expect(html).toContain('swagger-ui-bundle.js');

    const bundle = await fetch(`${fx.url}${OPENAPI_PATHS.ui}/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    await bundle.body?.cancel();
    const init = await fetch(`${fx.url}${OPENAPI_PATHS.ui}/swagger-ui-init.js`);
    expect(init.status).toBe(200);
    expect(await init.text()).toContain('/v1/events');
  });

  it('documents what ingest does: the request examples are accepted, the 400 and 415 examples are its answers', async () => {
    const event = await fx.post(EVENTS_REQUEST_EXAMPLES.event.value, {
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(event.status).toBe(202);

    const batch = await fx.post(EVENTS_REQUEST_EXAMPLES.batch.value, {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
    });
    expect(batch.status).toBe(202);
    const accepted = batch.body['accepted'] as Rec[];
    expect(accepted.map((a) => [a['index'], a['id'], a['stream'], Object.keys(a)])).toEqual(
      ACCEPTED_EXAMPLE.accepted.map((a) => [a.index, a.id, a.stream, Object.keys(a)]),
    );

    const binary = await fx.post(EVENTS_REQUEST_EXAMPLES.binary.value, {
      headers: {
        'content-type': 'application/json',
        ...Object.fromEntries(BINARY_MODE_HEADERS.map((h) => [h.name, h.example])),
      },
    });
    expect(binary.status).toBe(202);

    // The 400 example is the batch example with the error it names put in place.
    const [rejected] = REJECTED_EXAMPLE.rejected;
    const [failing] = rejected!.errors;
    const invalid = structuredClone(EVENTS_REQUEST_EXAMPLES.batch.value) as unknown as Rec[];
    setPath(invalid[rejected!.index]!, failing!.path, 'many');
    const answer = await fx.post(invalid);
    expect(answer).toEqual({ status: 400, body: REJECTED_EXAMPLE });

    const media = await fx.post(null, { headers: { 'content-type': 'text/plain' }, raw: 'x' });
    expect(media).toEqual({ status: 415, body: UNSUPPORTED_MEDIA_TYPE_EXAMPLE });
  });
});

describe('OpenAPI of the other services', () => {
  let services: RunningServices | undefined;
  beforeAll(async () => {
    // trace-store needs NATS only: it shares this file's own server with ingest.
    services = await startServices(
      [traceStoreService],
      loadConfig({
        NATS_URL: fx.server.url,
        TRACE_STORE_PORT: '0',
        RUNLOG_HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      }),
    );
  });
  afterAll(() => services?.close(), 30_000);

  it('trace-store serves its own document at /docs-json and Swagger UI at /docs', async () => {
    const url = services!.apps[0]!.url.replace('[::1]', '127.0.0.1');
    const answer = await getJson(`${url}${OPENAPI_PATHS.json}`);
    expect(answer.status).toBe(200);
    expect(answer.body['openapi']).toMatch(/^3\./);
    expect(answer.body['info']).toMatchObject({ title: 'runlog trace-store' });
    const paths = Object.keys(answer.body['paths'] as Rec);
    expect(paths).toContain('/health/ready');
    expect(paths).not.toContain('/v1/events');
    const page = await fetch(`${url}${OPENAPI_PATHS.ui}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>runlog trace-store</title>');
  });
});

function setPath(target: Rec, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let at: Rec = target;
  for (const key of keys) at = at[key] as Rec;
  at[last] = value;
}
