// Access control of every route (issue 18, DESIGN.md §4), on the four real services in one
// process, with keys set: 401 without a key or with an unknown one, 403 with a key that
// lacks the route's scope, and the allowed case; the check before the body is read; SSE
// keys as ?access_token= and the stream cap; health that tells strangers nothing; the
// request timeout; and id path parameters that read back or answer 400, never 414 or 500.
import { connect as connectTcp } from 'node:net';
import { Logger } from '@nestjs/common';
import { loadConfig, startServices } from '@runlog/platform';
import { waitFor } from '@runlog/testing';
import { ingestService } from '../../apps/ingest/src/ingest.service-definition';
import { type AllServices, type ServiceName, withAllServices } from './all-services';

Logger.overrideLogger(['error']);

const KEYS = {
  writer: 'writer-key-0000001', // trace
  reader: 'reader-key-0000001', // read
  admin: 'admin-key-00000001', // admin
  metrics: 'metrics-key-000001', // metrics
  operator: 'operator-key-00001', // *
} as const;
type Who = keyof typeof KEYS | 'none' | 'unknown';

const API_KEYS = [
  `${KEYS.writer}=trace`,
  `${KEYS.reader}=read`,
  `${KEYS.admin}=admin`,
  `${KEYS.metrics}=metrics`,
  `${KEYS.operator}=*`,
].join(';');

type Scope = 'read' | 'admin' | 'metrics' | 'write' | 'public';
/** The scope each route needs: the contract (DESIGN.md §4), written out, not read from code. */
const EXPECTED: Record<string, Scope> = {
  'ingest POST /v1/events': 'write',
  'ingest POST /v1/traces': 'write',
  'ingest GET /v1/families': 'read',
  'lease-history GET /v1/executions/{id}/lease': 'read',
  'lease-history GET /v1/executions/{id}/lease-history': 'read',
  'lease-history GET /v1/leases': 'read',
  'lease-history GET /v1/lease-history/gaps': 'read',
  'lease-history GET /v1/lease-history/stream': 'read',
  'trace-store GET /v1/traces': 'read',
  'trace-store GET /v1/traces/{id}': 'read',
  'trace-store GET /v1/traces/{id}/otlp': 'read',
  'trace-store GET /v1/traces/{id}/tree': 'read',
  'trace-store GET /v1/traces/{id}/usage': 'read',
  'trace-store GET /v1/usage': 'read',
  'trace-store GET /v1/trace-store/gaps': 'read',
  'ingest GET /v1/stream/{family}': 'read',
  'ingest GET /v1/dead-letters/{consumer}': 'admin',
  'ingest POST /v1/dead-letters/{consumer}/replay': 'admin',
  'ingest DELETE /v1/dead-letters/{consumer}/{id}': 'admin',
  'lease-history GET /v1/dead-letters/{consumer}': 'admin',
  'lease-history POST /v1/dead-letters/{consumer}/replay': 'admin',
  'lease-history DELETE /v1/dead-letters/{consumer}/{id}': 'admin',
  'normalizer GET /v1/dead-letters/{consumer}': 'admin',
  'normalizer POST /v1/dead-letters/{consumer}/replay': 'admin',
  'normalizer DELETE /v1/dead-letters/{consumer}/{id}': 'admin',
  'trace-store GET /v1/dead-letters/{consumer}': 'admin',
  'trace-store POST /v1/dead-letters/{consumer}/replay': 'admin',
  'trace-store DELETE /v1/dead-letters/{consumer}/{id}': 'admin',
};
/** Routes every service serves beside its own. */
const COMMON: Record<string, Scope> = {
  'GET /metrics': 'metrics',
  'GET /docs-json': 'read',
  'GET /docs': 'read',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
};

/** Keys that hold a scope, and keys that do not. */
const HOLDERS: Record<Exclude<Scope, 'public'>, { allowed: Who[]; denied: Who[] }> = {
  read: { allowed: ['reader', 'operator'], denied: ['writer', 'admin', 'metrics'] },
  admin: { allowed: ['admin', 'operator'], denied: ['writer', 'reader', 'metrics'] },
  metrics: { allowed: ['metrics', 'operator'], denied: ['writer', 'admin', 'reader'] },
  write: { allowed: ['writer', 'operator'], denied: ['reader', 'admin', 'metrics'] },
};

const headersOf = (who: Who): Record<string, string> =>
  who === 'none'
    ? {}
    : { authorization: `Bearer ${who === 'unknown' ? 'not-a-key-at-all-000' : KEYS[who]}` };

let fx: AllServices;
const urls: Record<string, string> = {};
withAllServices(
  {
    RUNLOG_API_KEYS: API_KEYS,
    RUNLOG_SSE_MAX: '3',
    RUNLOG_SSE_MAX_PER_KEY: '2',
    RUNLOG_HTTP_REQUEST_TIMEOUT: '1s',
  },
  (started) => {
    fx = started;
    const names: ServiceName[] = ['ingest', 'normalizer', 'lease-history', 'trace-store'];
    for (const name of names) urls[name] = started.url(name);
  },
);

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

/** One request; a streaming answer (SSE) is read up to its status and then cut. */
async function call(
  service: string,
  method: string,
  path: string,
  who: Who,
  body?: string,
): Promise<Answer> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  try {
    const response = await fetch(`${urls[service]}${path}`, {
      method,
      headers: {
        ...headersOf(who),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
      signal: abort.signal,
    });
    const streaming = response.headers.get('content-type')?.startsWith('text/event-stream');
    const text = streaming ? '' : await response.text();
    return { status: response.status, text, headers: response.headers };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

const errorCode = (answer: Answer): string =>
  (JSON.parse(answer.text) as { error: { code: string } }).error.code;

const concrete = (path: string): string => path.replace(/\{[^}]+\}/g, 'some-id');

async function documentedRoutes(): Promise<string[]> {
  const routes: string[] = [];
  for (const name of Object.keys(urls)) {
    const doc = await call(name, 'GET', '/docs-json', 'reader');
    expect(doc.status).toBe(200);
    const paths = (JSON.parse(doc.text) as { paths: Record<string, Record<string, unknown>> })
      .paths;
    for (const [path, methods] of Object.entries(paths))
      for (const method of Object.keys(methods))
        routes.push(`${name} ${method.toUpperCase()} ${path}`);
  }
  return routes;
}

describe('every route with RUNLOG_API_KEYS set', () => {
  it('is in the table of expected scopes (a new route must say who may call it)', async () => {
    const documented = await documentedRoutes();
    const own = documented.filter((r) => !/ \/(health|metrics)/.test(r));
    expect(own.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  const cases = [
    ...Object.entries(EXPECTED).map(([route, scope]) => {
      const [service, method, path] = route.split(' ') as [string, string, string];
      return { service, method, path, scope };
    }),
    ...['ingest', 'normalizer', 'lease-history', 'trace-store'].flatMap((service) =>
      Object.entries(COMMON).map(([route, scope]) => {
        const [method, path] = route.split(' ') as [string, string];
        return { service, method, path, scope };
      }),
    ),
  ];

  it.each(cases.filter((c) => c.scope !== 'public'))(
    '$service $method $path: 401 without a key or with an unknown one, 403 without the $scope scope, allowed with it',
    async ({ service, method, path, scope }) => {
      const holders = HOLDERS[scope as Exclude<Scope, 'public'>];
      const body = method === 'POST' ? '[]' : undefined;
      for (const who of ['none', 'unknown'] as const) {
        const answer = await call(service, method, concrete(path), who, body);
        expect([who, answer.status]).toEqual([who, 401]);
        expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'unauthorized' } });
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      for (const who of holders.denied) {
        const answer = await call(service, method, concrete(path), who, body);
        expect([who, answer.status]).toEqual([who, 403]);
        expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'forbidden' } });
        expect(answer.text).not.toContain(KEYS[who as keyof typeof KEYS]);
      }
      for (const who of holders.allowed) {
        const answer = await call(service, method, concrete(path), who, body);
        // allowed: past the check (a 404 for an unknown id, a 400 for an empty batch)
        expect([who, [200, 400, 404].includes(answer.status)]).toEqual([who, true]);
        if (answer.status !== 200) expect(errorCode(answer)).not.toMatch(/unauthorized|forbidden/);
      }
    },
    60_000,
  );

  it.each(cases.filter((c) => c.scope === 'public'))(
    '$service $path is open to probes',
    async ({ service, method, path }) => {
      expect((await call(service, method, path, 'none')).status).toBe(200);
    },
  );
});

describe('the check', () => {
  it('runs before the body is read: an unauthenticated `{bad` is 401, not malformed_json', async () => {
    expect((await call('ingest', 'POST', '/v1/events', 'none', '{bad')).status).toBe(401);
    expect((await call('ingest', 'POST', '/v1/events', 'reader', '{bad')).status).toBe(403);
    const allowed = await call('ingest', 'POST', '/v1/events', 'writer', '{bad');
    expect(JSON.parse(allowed.text)).toMatchObject({ error: { code: 'malformed_json' } });
  });

  it('checks the families of each event as before: a trace key may not write lease_history', async () => {
    const event = {
      specversion: '1.0',
      id: 'auth-lease-1',
      source: 'test',
      type: 'runlog.lease_history.acquired',
      time: new Date().toISOString(),
      data: { execution_id: 'e-auth-1', at: new Date().toISOString() },
    };
    const answer = await call('ingest', 'POST', '/v1/events', 'writer', JSON.stringify(event));
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('lease_history');
  });

  it('needs a valid key before an unknown path is a 404, so strangers learn no routes', async () => {
    expect((await call('trace-store', 'GET', '/v1/nothing-here', 'none')).status).toBe(401);
    expect((await call('trace-store', 'GET', '/v1/nothing-here', 'reader')).status).toBe(404);
  });

  it('takes ?access_token= on SSE only', async () => {
    const stream = await call(
      'lease-history',
      'GET',
      `/v1/lease-history/stream?access_token=${KEYS.reader}`,
      'none',
    );
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const forbidden = await call(
      'lease-history',
      'GET',
      `/v1/lease-history/stream?access_token=${KEYS.writer}`,
      'none',
    );
    expect(forbidden.status).toBe(403);
    const query = await call(
      'trace-store',
      'GET',
      `/v1/traces?access_token=${KEYS.reader}`,
      'none',
    );
    expect(query.status).toBe(401);
  });
});

describe('health without a key', () => {
  it('says up or down and nothing about internals; a key shows the details', async () => {
    for (const name of Object.keys(urls)) {
      const open = await call(name, 'GET', '/health/ready', 'none');
      expect(JSON.parse(open.text) as unknown).toEqual({ status: 'ok' });
      expect(open.text).not.toContain('127.0.0.1');
      const known = JSON.parse(
        (await call(name, 'GET', '/health/ready', 'metrics')).text,
      ) as unknown;
      expect(known).toHaveProperty('status', 'ok');
      expect(known).toHaveProperty('info');
    }
  });
});

describe('SSE streams', () => {
  /** Opens a stream and keeps it open until `close` is called. */
  async function open(
    who: Who,
  ): Promise<{ status: number; retryAfter: string | null; close(): void }> {
    const abort = new AbortController();
    const response = await fetch(`${urls['lease-history']}/v1/lease-history/stream`, {
      headers: headersOf(who),
      signal: abort.signal,
    });
    if (response.status !== 200) await response.text();
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      close: () => abort.abort(),
    };
  }

  it('are capped per key and in total with 429 and Retry-After, and a closed one frees its slot', async () => {
    const a1 = await open('reader');
    const a2 = await open('reader');
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await open('reader'); // RUNLOG_SSE_MAX_PER_KEY=2
    expect(a3.status).toBe(429);
    expect(a3.retryAfter).toMatch(/^\d+$/);
    const b1 = await open('operator');
    expect(b1.status).toBe(200);
    const b2 = await open('operator'); // RUNLOG_SSE_MAX=3
    expect(b2.status).toBe(429);
    a1.close();
    // the server frees the slot when it sees the socket close: poll for it, bounded
    const again = await waitFor(
      'a slot freed by a closed stream',
      async () => {
        const attempt = await open('operator');
        if (attempt.status === 200) return attempt;
        return undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    for (const s of [a2, b1, again]) s.close();
  });
});

describe('bounded requests', () => {
  it('closes a request whose body never arrives (RUNLOG_HTTP_REQUEST_TIMEOUT=1s)', async () => {
    const { port, hostname } = new URL(urls['ingest']!);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connectTcp({ port: Number(port), host: hostname });
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      socket.setTimeout(15_000, () => {
        socket.destroy();
        reject(new Error('the server kept the slow request open'));
      });
      socket.write(
        `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.writer}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('id path parameters', () => {
  it('read back every id ingest accepts (1,024 characters), and answer 400 for %00', async () => {
    const long = 'x'.repeat(1024);
    for (const path of [`/v1/traces/${long}`, `/v1/traces/${long}/tree`]) {
      const answer = await call('trace-store', 'GET', path, 'reader');
      expect(answer.status).toBe(404);
    }
    const lease = await call('lease-history', 'GET', `/v1/executions/${long}/lease`, 'reader');
    expect(lease.status).toBe(404);
    const unicode = encodeURIComponent('ü'.repeat(512)); // 1,024 bytes, 3,072 characters sent
    expect((await call('trace-store', 'GET', `/v1/traces/${unicode}`, 'reader')).status).toBe(404);
    for (const [service, path] of [
      ['trace-store', '/v1/traces/a%00b'],
      ['trace-store', '/v1/traces/a%00b/usage'],
      ['lease-history', '/v1/executions/a%00b/lease'],
      ['lease-history', '/v1/executions/a%00b/lease-history'],
      ['trace-store', '/v1/traces?op=a%00b'],
      ['lease-history', '/v1/leases?owner=a%00b'],
    ] as const) {
      const answer = await call(service, 'GET', path, 'reader');
      expect([path, answer.status]).toEqual([path, 400]);
      const body = JSON.parse(answer.text) as {
        error: { code: string; details: Array<{ path: string }> };
      };
      expect(body.error.code).toBe('invalid_parameter');
      expect(['id', 'op', 'owner']).toContain(body.error.details[0]?.path);
    }
    const tooLong = await call('trace-store', 'GET', `/v1/traces/${'x'.repeat(1025)}`, 'reader');
    expect(tooLong.status).toBe(400);
  });
});

describe('protected mode', () => {
  const base = (extra: Record<string, string>) => ({
    NATS_URL: fx.nats.url,
    INGEST_PORT: '0',
    OTLP_HTTP_PORT: 'off',
    LOG_LEVEL: 'silent',
    ...extra,
  });

  it('binds loopback when no keys are set, and every route answers there', async () => {
    const open = await startServices([ingestService], loadConfig(base({})));
    try {
      const address = open.apps[0]!.app.getHttpServer().address();
      expect(address).toMatchObject({ address: '127.0.0.1' });
      const url = open.apps[0]!.url.replace('[::1]', '127.0.0.1');
      expect((await fetch(`${url}/v1/families`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('refuses a non-loopback bind without keys, naming RUNLOG_API_KEYS', () => {
    expect(() => loadConfig(base({ RUNLOG_HTTP_HOST: '0.0.0.0' }))).toThrow(/RUNLOG_API_KEYS/);
  });

  it('serves the network without keys under RUNLOG_AUTH=off, and says so on /health/ready', async () => {
    const off = await startServices(
      [ingestService],
      loadConfig(base({ RUNLOG_HTTP_HOST: '0.0.0.0', RUNLOG_AUTH: 'off' })),
    );
    try {
      const address = off.apps[0]!.app.getHttpServer().address();
      expect(address).toMatchObject({ address: '0.0.0.0' });
      const { port } = address as { port: number };
      const ready = (await (await fetch(`http://127.0.0.1:${port}/health/ready`)).json()) as {
        warnings?: string[];
      };
      expect(ready.warnings).toEqual([expect.stringContaining('RUNLOG_AUTH=off')]);
    } finally {
      await off.close();
    }
  });
});
