import { Readable } from 'node:stream';
import { type ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorBody, type RunlogConfig } from '@runlog/platform';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/** A service the console reads, and where the console finds it. */
export interface Upstream {
  /** The path segment under `/api/`: `/api/trace-store/v1/traces` is trace-store's `/v1/traces`. */
  readonly name: 'trace-store' | 'lease-history';
  origin(config: RunlogConfig): string;
  /**
   * Its SSE routes under `/v1/`: the only ones that take the key as `?access_token=`, as on
   * the service itself (`EventSource` cannot set headers).
   */
  readonly streams: readonly string[];
}

export const CONSOLE_UPSTREAMS: readonly Upstream[] = [
  { name: 'trace-store', origin: (config) => config.console.traceStoreUrl, streams: [] },
  {
    name: 'lease-history',
    origin: (config) => config.console.leaseHistoryUrl,
    streams: ['lease-history/stream'],
  },
];

/** The request headers worth passing on; everything else (cookies, hop-by-hop) stays here. */
const REQUEST_HEADERS = ['accept', 'last-event-id', 'x-request-id'] as const;
/** The response headers worth passing back. */
const RESPONSE_HEADERS = ['content-type', 'cache-control', 'retry-after', 'x-accel-buffering'];
/** How long a service may take to start answering (an SSE stream then runs on). */
const HEADERS_TIMEOUT_MS = 30_000;

/**
 * The caller's key, from `Authorization` or (an `EventSource`) `?access_token=`: the console
 * forwards the caller's own key, so a service checks the same scopes it would check if called
 * directly (decisions D37). Undefined in protected mode, where no key is sent.
 */
function callerKey(request: FastifyRequest, query: URLSearchParams): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') return header;
  const token = query.get('access_token');
  return token ? `Bearer ${token}` : undefined;
}

async function forward(
  prefix: string,
  upstream: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  // The path as sent, still percent-encoded: an id holding `/` (`%2F`) stays one segment.
  const raw = request.raw.url ?? '';
  const queryAt = raw.indexOf('?');
  const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? '' : raw.slice(queryAt + 1));
  const key = callerKey(request, query);
  query.delete('access_token');
  const rest = path.slice(prefix.length);
  // No way out of /v1/ (fetch would resolve `..` to the service's /metrics, say).
  if (rest.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment)))
    return reply.code(404).send(errorBody('not_found', 'no such route'));
  const search = query.toString();
  const target = `${upstream}/v1/${rest}${search ? `?${search}` : ''}`;

  const headers: Record<string, string> = {};
  for (const name of REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (key) headers.authorization = key;

  // Aborted when the browser goes away (an SSE tab closed) or the service is too slow to answer.
  const abort = new AbortController();
  reply.raw.once('close', () => abort.abort());
  const slow = setTimeout(() => abort.abort(), HEADERS_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(target, { headers, signal: abort.signal, redirect: 'manual' });
  } catch (error) {
    return reply
      .code(502)
      .send(
        errorBody(
          'bad_gateway',
          `the console could not reach ${new URL(upstream).host}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  } finally {
    clearTimeout(slow);
  }
  void reply.code(response.status);
  for (const name of RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) void reply.header(name, value);
  }
  if (!response.body) return reply.send();
  return reply.send(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>));
}

/**
 * `GET /api/<service>/v1/*`: forwarded to the service's `/v1/*` with the caller's key. The
 * console checks the key first (`read`, as every route of it that reads data), the service
 * checks it again. Only `v1` routes: the services' metrics and docs are not the console's.
 * Only GET: the admin actions to come (dead letters, rebuilds) add their own routes, with
 * `admin`.
 */
export function registerServiceProxies(fastify: FastifyInstance, config: RunlogConfig): void {
  for (const upstream of CONSOLE_UPSTREAMS) {
    const origin = upstream.origin(config);
    const prefix = `/api/${upstream.name}/v1/`;
    fastify.route({
      method: 'GET',
      url: `${prefix}*`,
      config: { runlogAccess: 'read' },
      handler: (request, reply) => forward(prefix, origin, request, reply),
    });
    for (const stream of upstream.streams)
      fastify.route({
        method: 'GET',
        url: `${prefix}${stream}`,
        config: { runlogAccess: 'read', runlogQueryToken: true },
        handler: (request, reply) => forward(prefix, origin, request, reply),
      });
  }
}
