import { type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type ServiceDefinition } from '@runlog/platform';
import { IngestModule } from './ingest.module';

export const ingestService: ServiceDefinition = {
  name: 'ingest',
  module: (config) => IngestModule.forRoot(config),
  port: (config) => config.ports.ingest,
  bodyLimit: (config) => config.ingest.maxBodyBytes,
  // A `__proto__` or `constructor` key is refused by decode with its path (400
  // validation_failed), as async ingress refuses it, not as a body that is "not JSON".
  keepPrototypeKeys: true,
  // An OpenTelemetry SDK's default endpoint (localhost:4318) works unchanged (D42).
  secondListener: {
    port: (config) => config.otlp.httpPort,
    routes: [{ method: 'POST', path: '/v1/traces' }],
  },
  openapi: {
    description:
      'Validates CloudEvents from producers and publishes them to the family streams (DESIGN.md §4).',
  },
  configure: (app) => {
    // The CloudEvents JSON media types parse like application/json (structured mode).
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addContentTypeParser(
      ['application/cloudevents+json', 'application/cloudevents-batch+json'],
      { parseAs: 'string' },
      fastify.getDefaultJsonParser('ignore', 'ignore'),
    );
    // OTLP/HTTP exporters may gzip their body (D39): inflated before it is parsed.
    fastify.addHook('preParsing', (request, _reply, payload, done) => {
      const gzip = request.headers['content-encoding']?.trim().toLowerCase() === 'gzip';
      if (!gzip || !request.url.startsWith('/v1/traces')) return done(null, payload);
      const inflated: Readable & { receivedEncodedLength?: number } = payload.pipe(createGunzip());
      let received = 0;
      payload.on('data', (chunk: Buffer) => {
        received += chunk.length;
        inflated.receivedEncodedLength = received;
      });
      return done(null, inflated);
    });
    // OTLP/HTTP protobuf (POST /v1/traces) is decoded by the route (D39).
    fastify.addContentTypeParser(
      'application/x-protobuf',
      { parseAs: 'buffer' },
      (_req, body, done) => done(null, body),
    );
  },
};
