import { createServer, get as httpGet, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { installAuth, loadConfig } from '@runlog/platform';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerServiceProxies } from './service-proxy';

const READ = 'read-key-for-the-console-0001';
const WRITE = 'write-key-for-the-console-001';

describe('the console forwarding /api/<service>/v1/*', () => {
  let upstream: Server;
  let origin: string;
  let seen: Array<{ url: string; headers: IncomingHttpHeaders }>;
  let app: FastifyInstance;
  let base: string;

  /**
   * A GET to the console with the path exactly as written: `fetch` would resolve `.` and
   * `%2e` segments before sending (and jest cannot load fastify's `inject`).
   */
  function get(path: string, headers: Record<string, string> = {}, at = base) {
    const { hostname, port } = new URL(at);
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>(
      (done, fail) => {
        httpGet({ hostname, port, path, headers }, (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () =>
            done({ status: response.statusCode ?? 0, headers: response.headers, body }),
          );
        }).on('error', fail);
      },
    );
  }

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      seen.push({ url: request.url ?? '', headers: request.headers });
      if (request.url?.startsWith('/v1/lease-history/stream')) {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'set-cookie': 'a=b' });
        response.end('event: caught_up\ndata: {"cursor":"0"}\n\n');
        return;
      }
      response.writeHead(207, { 'content-type': 'application/json', 'x-internal': 'no' });
      response.end(JSON.stringify({ path: request.url }));
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const config = loadConfig({
      RUNLOG_API_KEYS: `${READ}=read;${WRITE}=trace`,
      RUNLOG_HTTP_HOST: '127.0.0.1',
      CONSOLE_TRACE_STORE_URL: origin,
      CONSOLE_LEASE_HISTORY_URL: origin,
    });
    app = Fastify({ routerOptions: { maxParamLength: 4096 } });
    installAuth(app, config);
    registerServiceProxies(app, config);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  beforeEach(() => {
    seen = [];
  });

  afterAll(async () => {
    await app.close();
    await new Promise((done) => upstream.close(done));
  });

  it('passes the path still encoded, the query, the caller key and chosen headers only', async () => {
    const answer = await get('/api/trace-store/v1/traces/a%2Fb%20c/tree?limit=5&op=x.y', {
      authorization: `Bearer ${READ}`,
      cookie: 'session=1',
      'x-request-id': 'r-1',
    });
    expect(answer.status).toBe(207);
    expect(JSON.parse(answer.body)).toEqual({ path: '/v1/traces/a%2Fb%20c/tree?limit=5&op=x.y' });
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['x-internal']).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${READ}`);
    expect(seen[0]!.headers['x-request-id']).toBe('r-1');
    expect(seen[0]!.headers.cookie).toBeUndefined();
  });

  it('checks the key before forwarding: none is 401, one without read is 403', async () => {
    expect((await get('/api/trace-store/v1/traces')).status).toBe(401);
    const writer = await get('/api/lease-history/v1/leases', { authorization: `Bearer ${WRITE}` });
    expect(writer.status).toBe(403);
    expect(seen).toEqual([]);
  });

  it('takes ?access_token= on the SSE stream only, and sends it on as a header', async () => {
    const stream = await get(
      `/api/lease-history/v1/lease-history/stream?execution_id=e%2F1&access_token=${READ}`,
    );
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['set-cookie']).toBeUndefined();
    expect(stream.body).toContain('event: caught_up');
    expect(seen[0]!.url).toBe('/v1/lease-history/stream?execution_id=e%2F1');
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${READ}`);

    expect((await get(`/api/trace-store/v1/traces?access_token=${READ}`)).status).toBe(401);
    expect(seen).toHaveLength(1);
  });

  it.each(['..', '%2e%2e', '.%2E', '.', '%2E'])(
    'refuses a %s segment (no way out of /v1)',
    async (dots) => {
      const answer = await get(`/api/trace-store/v1/${dots}/metrics`, {
        authorization: `Bearer ${READ}`,
      });
      expect(answer.status).toBe(404);
      expect(seen).toEqual([]);
    },
  );

  it('answers 502 with the one error shape when the service does not answer', async () => {
    const config = loadConfig({
      CONSOLE_TRACE_STORE_URL: 'http://127.0.0.1:1',
      CONSOLE_LEASE_HISTORY_URL: 'http://127.0.0.1:1',
    });
    const lonely = Fastify();
    installAuth(lonely, config);
    registerServiceProxies(lonely, config);
    try {
      const at = await lonely.listen({ port: 0, host: '127.0.0.1' });
      const answer = await get('/api/trace-store/v1/traces', {}, at);
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'bad_gateway' } });
    } finally {
      await lonely.close();
    }
  });
});
