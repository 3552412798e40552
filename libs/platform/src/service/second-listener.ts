import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type RunlogConfig } from '../config/runlog-config';

/**
 * A second port on which a service answers only some of its routes (ingest's OTLP
 * `POST /v1/traces` on 4318, D42). Requests are handed to the service's own Fastify
 * server, so hooks, auth and handlers are the main port's; any other route is a 404.
 */
export interface SecondListener {
  /** Its port (`0` = a free one), or undefined for no second listener. */
  port(config: RunlogConfig): number | undefined;
  /** The only routes it serves, by method and path (the query string is ignored). */
  readonly routes: ReadonlyArray<{ readonly method: string; readonly path: string }>;
}

/** A started second listener: its URL and how to stop it. */
export interface StartedListener {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on the definition's second port, or answers undefined when it has none. */
export async function startSecondListener(
  listener: SecondListener,
  app: NestFastifyApplication,
  config: RunlogConfig,
): Promise<StartedListener | undefined> {
  const port = listener.port(config);
  if (port === undefined) return undefined;
  const main = app.getHttpAdapter().getInstance().server;
  const allowed = (request: IncomingMessage): boolean => {
    const path = (request.url ?? '').split('?')[0];
    return listener.routes.some((route) => route.method === request.method && route.path === path);
  };
  const server: Server = createServer(
    {
      requestTimeout: config.http.requestTimeoutMs,
      headersTimeout: config.http.headersTimeoutMs,
    },
    (request, response) => {
      if (allowed(request)) {
        main.emit('request', request, response);
        return;
      }
      const only = listener.routes.map((r) => `${r.method} ${r.path}`).join(', ');
      const body = JSON.stringify({
        error: { code: 'not_found', message: `this port serves only ${only}`, details: [] },
      });
      response.writeHead(404, { 'content-type': 'application/json' }).end(body);
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.httpHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port: bound } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
