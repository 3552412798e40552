import { ConfigurationError, configVariables, loadConfig } from './runlog-config';
import { parseDuration } from './duration';

function errorsOf(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return [...error.errors];
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadConfig', () => {
  it('gives the DESIGN.md defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.nats.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(config.nats.credentials).toBeUndefined();
    expect(config.streams).toEqual({ replicas: 1, maxAgeMs: {} });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe('./data');
    expect(config.apiKeys).toEqual([]);
    expect(config.normalizerDurability).toBe('compacted');
    expect(config.ports).toEqual({
      ingest: 4100,
      leaseHistory: 4101,
      traceStore: 4102,
      normalizer: 4103,
      console: 4104,
    });
    expect(config.console).toEqual({
      traceStoreUrl: 'http://127.0.0.1:4102',
      leaseHistoryUrl: 'http://127.0.0.1:4101',
    });
    expect(config.ingest).toEqual({ maxBatch: 1000, maxBodyBytes: 4 * 1024 * 1024 });
    expect(config.traces).toEqual({ treeMaxNodes: 10_000 });
    expect(config.logLevel).toBe('info');
    // Protected mode: no keys, loopback only.
    expect(config.httpHost).toBe('127.0.0.1');
    expect(config.auth).toBe('on');
    expect(config.http).toEqual({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      sseMax: 256,
      sseMaxPerKey: 32,
    });
  });

  it('gives the connection a reply prefix: NATS_INBOX_PREFIX, else per user, else _INBOX', () => {
    expect(loadConfig({}).nats.inboxPrefix).toBe('_INBOX');
    expect(loadConfig({ NATS_USER: 'lease-history', NATS_PASS: 'p' }).nats.inboxPrefix).toBe(
      '_INBOX_lease-history',
    );
    expect(loadConfig({ NATS_USER: 'a.b*c', NATS_PASS: 'p' }).nats.inboxPrefix).toBe(
      '_INBOX_a_b_c',
    );
    expect(loadConfig({ NATS_INBOX_PREFIX: '_R.svc' }).nats.inboxPrefix).toBe('_R.svc');
    expect(() => loadConfig({ NATS_INBOX_PREFIX: '_INBOX.>' })).toThrow(/NATS_INBOX_PREFIX/);
    expect(() => loadConfig({ NATS_INBOX_PREFIX: 'a..b' })).toThrow(/NATS_INBOX_PREFIX/);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NATS_URL: 'nats://a:4222, nats://b:4222',
      NATS_USER: 'u',
      NATS_PASS: 'p',
      RUNLOG_STREAM_REPLICAS: '3',
      RUNLOG_TRACE_MAX_AGE: '7d',
      RUNLOG_LEASE_HISTORY_MAX_AGE: '12h',
      RUNLOG_ENGINE_MAX_AGE: '0',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      RUNLOG_DATA_DIR: '/var/lib/runlog',
      RUNLOG_API_KEYS:
        'producer-key-0001=engine,trace; operator-key-00001=*; reader-key-0000001=read,metrics',
      RUNLOG_HTTP_REQUEST_TIMEOUT: '2m',
      RUNLOG_HTTP_HEADERS_TIMEOUT: '5s',
      RUNLOG_SSE_MAX: '10',
      RUNLOG_SSE_MAX_PER_KEY: '20',
      NORMALIZER_DURABILITY: 'full_fidelity',
      INGEST_PORT: '0',
      LOG_LEVEL: 'debug',
      INGEST_MAX_BATCH: '50',
      RUNLOG_TRACE_TREE_MAX_NODES: '25',
    });
    expect(config.nats).toEqual({
      servers: ['nats://a:4222', 'nats://b:4222'],
      credentials: { user: 'u', pass: 'p' },
      inboxPrefix: '_INBOX_u', // a user's replies under a prefix of its own
    });
    expect(config.streams).toEqual({
      replicas: 3,
      maxAgeMs: { trace: 7 * 86_400_000, lease_history: 12 * 3_600_000 },
    });
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(config.apiKeys).toEqual([
      { key: 'producer-key-0001', name: 'key#1', scopes: ['engine', 'trace'] },
      { key: 'operator-key-00001', name: 'key#2', scopes: ['*'] },
      { key: 'reader-key-0000001', name: 'key#3', scopes: ['read', 'metrics'] },
    ]);
    // With keys, the servers bind every interface unless told otherwise.
    expect(config.httpHost).toBe('0.0.0.0');
    // The per-key cap never exceeds the total.
    expect(config.http).toEqual({
      requestTimeoutMs: 120_000,
      headersTimeoutMs: 5_000,
      sseMax: 10,
      sseMaxPerKey: 10,
    });
    expect(config.normalizerDurability).toBe('full_fidelity');
    expect(config.ports.ingest).toBe(0);
    expect(config.logLevel).toBe('debug');
    expect(config.ingest.maxBatch).toBe(50);
    expect(config.traces.treeMaxNodes).toBe(25);
  });

  it.each([
    ['RUNLOG_STREAM_REPLICAS', 'three'],
    ['RUNLOG_STREAM_REPLICAS', '0'],
    ['INGEST_PORT', '70000'],
    ['LEASE_HISTORY_PORT', '-1'],
    ['NORMALIZER_DURABILITY', 'everything'],
    ['LOG_LEVEL', 'loud'],
    ['RUNLOG_TRACE_MAX_AGE', 'a week'],
    ['RUNLOG_AGENT_MAX_AGE', '7'],
    ['DATABASE_URL', 'mysql://x'],
    ['NATS_URL', 'http://127.0.0.1:4222'],
    ['RUNLOG_API_KEYS', 'producer-key-0001=engine,nope'],
    ['RUNLOG_API_KEYS', 'justakey-but-long-enough'],
    ['RUNLOG_API_KEYS', 'short=*'],
    ['RUNLOG_API_KEYS', 'a key with spaces=*'],
    ['RUNLOG_AUTH', 'maybe'],
    ['RUNLOG_HTTP_REQUEST_TIMEOUT', '10ms'],
    ['RUNLOG_HTTP_HEADERS_TIMEOUT', 'soon'],
    ['RUNLOG_SSE_MAX', '0'],
    ['INGEST_MAX_BATCH', '0'],
    ['RUNLOG_TRACE_TREE_MAX_NODES', '0'],
    ['RUNLOG_TRACE_TREE_MAX_NODES', 'many'],
  ])('rejects %s=%s naming the variable', (variable, value) => {
    const errors = errorsOf({ [variable]: value });
    expect(errors.map((e) => e.variable)).toEqual([variable]);
  });

  it('reports every bad variable at once, in a message that names them', () => {
    try {
      loadConfig({ INGEST_PORT: 'x', LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/INGEST_PORT: .*; LOG_LEVEL: /);
    }
  });

  it('rejects ambiguous NATS credentials and half a user/password pair', () => {
    expect(errorsOf({ NATS_TOKEN: 't', NATS_CREDS: '/x.creds' }).map((e) => e.variable)).toEqual([
      'NATS_CREDS',
    ]);
    expect(errorsOf({ NATS_USER: 'u' }).map((e) => e.variable)).toEqual(['NATS_PASS']);
  });

  it('never echoes an API key in an error', () => {
    for (const keys of [
      'sekrit-key-value',
      'sekrit=*',
      // a ',' typed for the ';': the second key would read as an unknown scope
      'producer-key-0001=engine,sekrit-key-value-2=*',
      'producer-key-0001=engine;producer-key-0001=trace',
      'sekrit-key-value=',
    ]) {
      const errors = errorsOf({ RUNLOG_API_KEYS: keys });
      expect(errors.map((e) => e.variable)).toEqual(['RUNLOG_API_KEYS']);
      expect(JSON.stringify(errors)).not.toMatch(/sekrit|producer-key/);
    }
    expect(
      errorsOf({ RUNLOG_API_KEYS: 'producer-key-0001=engine,sekrit-key-value-2=*' })[0]?.message,
    ).toBe("entry 1: scope 2 is not a family, read, admin, metrics or * (a ',' typed for a ';'?)");
  });

  describe('protected mode', () => {
    it('refuses a non-loopback bind without keys, naming RUNLOG_API_KEYS', () => {
      for (const host of ['0.0.0.0', '::', '10.0.0.7', 'runlog.internal']) {
        const errors = errorsOf({ RUNLOG_HTTP_HOST: host });
        expect(errors.map((e) => e.variable)).toEqual(['RUNLOG_API_KEYS']);
        expect(errors[0]?.message).toContain('RUNLOG_AUTH=off');
      }
    });

    it('binds loopback without keys, whatever loopback address is asked', () => {
      for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
        expect(loadConfig({ RUNLOG_HTTP_HOST: host }).httpHost).toBe(host);
    });

    it('serves the network without keys only when RUNLOG_AUTH=off says so', () => {
      const config = loadConfig({ RUNLOG_HTTP_HOST: '0.0.0.0', RUNLOG_AUTH: 'off' });
      expect(config.httpHost).toBe('0.0.0.0');
      expect(config.auth).toBe('off');
      // off still defaults to loopback: the bind must be asked for
      expect(loadConfig({ RUNLOG_AUTH: 'off' }).httpHost).toBe('127.0.0.1');
    });

    it('refuses RUNLOG_AUTH=off beside keys (one of them is a mistake)', () => {
      expect(
        errorsOf({ RUNLOG_AUTH: 'off', RUNLOG_API_KEYS: 'operator-key-00001=*' }).map(
          (e) => e.variable,
        ),
      ).toEqual(['RUNLOG_AUTH']);
    });
  });

  it('gives the console the services as origins: their ports on loopback, or the URLs given', () => {
    expect(loadConfig({ TRACE_STORE_PORT: '5102', LEASE_HISTORY_PORT: '5101' }).console).toEqual({
      traceStoreUrl: 'http://127.0.0.1:5102',
      leaseHistoryUrl: 'http://127.0.0.1:5101',
    });
    const given = loadConfig({
      CONSOLE_TRACE_STORE_URL: 'http://trace-store:4102/',
      CONSOLE_LEASE_HISTORY_URL: 'https://lease-history.internal',
    });
    expect(given.console).toEqual({
      traceStoreUrl: 'http://trace-store:4102',
      leaseHistoryUrl: 'https://lease-history.internal',
    });
    expect(() => loadConfig({ CONSOLE_TRACE_STORE_URL: 'http://trace-store:4102/v1' })).toThrow(
      /CONSOLE_TRACE_STORE_URL: must be an http/,
    );
    expect(() => loadConfig({ CONSOLE_LEASE_HISTORY_URL: 'ftp://x' })).toThrow(
      /CONSOLE_LEASE_HISTORY_URL/,
    );
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ INGEST_PORT: '  ', NATS_URL: '' }).ports.ingest).toBe(4100);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['0', 0],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '7', '1y', '-1d', '1.5h', 'd'])('%s is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('configVariables', () => {
  it('lists every variable loadConfig reads, DESIGN.md §6 and the extras of decisions D7', () => {
    expect(configVariables()).toEqual(
      expect.arrayContaining([
        'NATS_URL',
        'NATS_CREDS',
        'NATS_USER',
        'NATS_PASS',
        'NATS_TOKEN',
        'RUNLOG_STREAM_REPLICAS',
        'RUNLOG_TRACE_MAX_AGE',
        'DATABASE_URL',
        'RUNLOG_DATA_DIR',
        'RUNLOG_API_KEYS',
        'NORMALIZER_DURABILITY',
        'INGEST_PORT',
        'LEASE_HISTORY_PORT',
        'TRACE_STORE_PORT',
        'NORMALIZER_PORT',
        'CONSOLE_PORT',
        'CONSOLE_TRACE_STORE_URL',
        'CONSOLE_LEASE_HISTORY_URL',
        'LOG_LEVEL',
        'RUNLOG_HTTP_HOST',
        'RUNLOG_AUTH',
        'RUNLOG_SSE_MAX',
        'RUNLOG_SSE_MAX_PER_KEY',
        'RUNLOG_HTTP_REQUEST_TIMEOUT',
        'RUNLOG_HTTP_HEADERS_TIMEOUT',
        'RUNLOG_TRACE_TREE_MAX_NODES',
      ]),
    );
    expect(configVariables()).not.toContain('PATH');
  });
});
