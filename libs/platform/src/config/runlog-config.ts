import { FAMILIES, type Family } from '@runlog/contracts';
import { parseDuration } from './duration';
import { loadModelPrices, ModelPricesError, type ModelPrices } from './model-prices';

/** The NATS connection settings of DESIGN.md §6. */
export interface NatsSettings {
  readonly servers: readonly string[];
  /**
   * The prefix of the connection's reply subjects (`NATS_INBOX_PREFIX`; default
   * `_INBOX_<NATS_USER>` with a user, else `_INBOX`): with one per user, a user allowed
   * `<prefix>.>` reads only its own replies (PubAcks, API answers, pulled messages).
   */
  readonly inboxPrefix: string;
  readonly credentials?:
    | { readonly credsFile: string }
    | { readonly user: string; readonly pass: string }
    | { readonly token: string };
}

/**
 * What a key of `RUNLOG_API_KEYS` may do (DESIGN.md §4): write a family (its name), `read`
 * (queries, SSE, families, docs), `admin` (dead letters, projection rebuilds), `metrics`
 * (`GET /metrics`), or `*` (everything).
 */
export type Scope = Family | 'read' | 'admin' | 'metrics' | '*';
export const ROUTE_SCOPES = ['read', 'admin', 'metrics'] as const;
export type RouteScope = (typeof ROUTE_SCOPES)[number];

/** A key of `RUNLOG_API_KEYS` and its scopes. */
export interface ApiKey {
  readonly key: string;
  /** A short name for logs and limits that never reveals the key: `key#<position>`. */
  readonly name: string;
  readonly scopes: readonly Scope[];
}

/** Keys shorter than this are refused at start (DESIGN.md §4). */
export const MIN_API_KEY_LENGTH = 16;

/** True when the key holds `scope` (or `*`). */
export function keyAllows(key: ApiKey, scope: Scope): boolean {
  return key.scopes.includes('*') || key.scopes.includes(scope);
}

export type DurabilityMode = 'disabled' | 'compacted' | 'full_fidelity';

/** Everything runlog reads from its environment (DESIGN.md §6), parsed and checked once. */
export interface RunlogConfig {
  readonly nats: NatsSettings;
  readonly streams: {
    readonly replicas: number;
    /** Per-family `max_age` in ms; absent = keep forever. */
    readonly maxAgeMs: Partial<Record<Family, number>>;
  };
  /** `postgres://…`, or undefined for the embedded PGlite under {@link dataDir}. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly apiKeys: readonly ApiKey[];
  readonly normalizerDurability: DurabilityMode;
  readonly ports: {
    readonly ingest: number;
    readonly leaseHistory: number;
    readonly traceStore: number;
    readonly normalizer: number;
    readonly console: number;
  };
  /**
   * Where the console (apps/console) reaches the services it shows: `CONSOLE_TRACE_STORE_URL`
   * and `CONSOLE_LEASE_HISTORY_URL`, by default the services' ports on 127.0.0.1 (the
   * shape `npm start` runs). Origins only (`http://host:port`), no trailing path.
   */
  readonly console: {
    readonly traceStoreUrl: string;
    readonly leaseHistoryUrl: string;
  };
  /**
   * The address the HTTP servers bind to: `RUNLOG_HTTP_HOST`, else `0.0.0.0` with keys
   * and `127.0.0.1` (protected mode) without.
   */
  readonly httpHost: string;
  /**
   * `RUNLOG_AUTH`: `on` (the default) requires keys for a non-loopback bind; `off` is the
   * operator saying an open server on the network is meant (warned at start and on
   * `/health/ready`).
   */
  readonly auth: 'on' | 'off';
  readonly http: {
    /** Node's `requestTimeout`: the whole request (headers and body) must arrive within it. */
    readonly requestTimeoutMs: number;
    /** Node's `headersTimeout`: the headers must arrive within it. */
    readonly headersTimeoutMs: number;
    /** Concurrent SSE streams, in total (`RUNLOG_SSE_MAX`) and per key (`RUNLOG_SSE_MAX_PER_KEY`). */
    readonly sseMax: number;
    readonly sseMaxPerKey: number;
  };
  readonly ingest: { readonly maxBatch: number; readonly maxBodyBytes: number };
  readonly otlp: {
    /** `OTLP_HTTP_PORT`: ingest's second listener for `POST /v1/traces` (D42); undefined = off. */
    readonly httpPort: number | undefined;
    /** `RUNLOG_MODEL_PRICES`: the price table for OTLP GenAI usage (D53); undefined = none. */
    readonly modelPrices: ModelPrices | undefined;
  };
  /** trace-store's read bounds: the most nodes a `tree` answer holds before it is truncated. */
  readonly traces: { readonly treeMaxNodes: number };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pretty logs (a TTY, or `LOG_PRETTY=1`) instead of JSON lines. */
  readonly logPretty: boolean;
}

/** One invalid variable, named. */
export interface ConfigError {
  readonly variable: string;
  readonly message: string;
}

/** Invalid configuration: the message names every variable at fault. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly code = 'invalid_configuration';
  constructor(readonly errors: readonly ConfigError[]) {
    super(`invalid configuration: ${errors.map((e) => `${e.variable}: ${e.message}`).join('; ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DURABILITY = ['disabled', 'compacted', 'full_fidelity'] as const;

/** The environment variable that sets one family's retention, e.g. `RUNLOG_LEASE_HISTORY_MAX_AGE`. */
export function maxAgeVariable(family: Family): string {
  return `RUNLOG_${family.toUpperCase()}_MAX_AGE`;
}

/** A subject prefix of plain tokens (no wildcards), as nats.js takes for `inboxPrefix`. */
const INBOX_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function inboxPrefix(
  read: (name: string) => string | undefined,
  fail: (name: string, problem: string) => void,
  credentials: NatsSettings['credentials'],
): string {
  const given = read('NATS_INBOX_PREFIX');
  if (given !== undefined) {
    if (INBOX_PREFIX.test(given)) return given;
    fail('NATS_INBOX_PREFIX', 'must be subject tokens of A-Z, a-z, 0-9, _ and - (no wildcards)');
  }
  // One of its own per user, so the permissions can give each user only its replies.
  if (credentials && 'user' in credentials)
    return `_INBOX_${credentials.user.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return '_INBOX';
}

/**
 * Parses the environment into a {@link RunlogConfig}, or throws a {@link ConfigurationError}
 * naming every invalid variable. Blank values count as unset.
 */
export function loadConfig(env: Env = process.env): RunlogConfig {
  const errors: ConfigError[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const fail = (variable: string, message: string): void => {
    errors.push({ variable, message });
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      fail(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const duration = (name: string, fallbackMs: number, minMs: number, maxMs: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallbackMs;
    const ms = parseDuration(raw);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      fail(name, `must be a duration from ${minMs / 1000}s to ${maxMs / 1000}s, got "${raw}"`);
      return fallbackMs;
    }
    return ms;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    fail(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  };

  // A service's HTTP origin for the console: the variable, else its port on loopback.
  const origin = (name: string, port: number): string => {
    const raw = read(name);
    if (raw === undefined) return `http://127.0.0.1:${port}`;
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash) {
      fail(
        name,
        `must be an http:// or https:// origin such as http://trace-store:4102, got "${raw}"`,
      );
      return raw;
    }
    return url.origin;
  };

  const servers = (read('NATS_URL') ?? 'nats://127.0.0.1:4222').split(',').map((s) => s.trim());
  for (const server of servers) {
    if (
      !/^(nats|tls|ws|wss):\/\/[^\s/]+(:\d+)?\/?$/.test(server) &&
      !/^[^\s/:]+:\d+$/.test(server)
    ) {
      fail(
        'NATS_URL',
        `"${server}" is not a NATS URL (nats://host:port, comma-separated for a cluster)`,
      );
    }
  }
  const credentials = natsCredentials(read, fail);

  const maxAgeMs: Partial<Record<Family, number>> = {};
  for (const family of FAMILIES) {
    const name = maxAgeVariable(family);
    const raw = read(name);
    if (raw === undefined) continue;
    const ms = parseDuration(raw);
    if (ms === undefined) fail(name, `must be a duration such as 7d, 12h, 30m or 0, got "${raw}"`);
    else if (ms > 0) maxAgeMs[family] = ms;
  }

  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    fail('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }

  const apiKeys = parseApiKeys(read('RUNLOG_API_KEYS'), fail);
  const auth = oneOf('RUNLOG_AUTH', ['on', 'off'] as const, 'on');
  const httpHost = read('RUNLOG_HTTP_HOST') ?? (apiKeys.length > 0 ? '0.0.0.0' : '127.0.0.1');
  if (auth === 'off' && apiKeys.length > 0) {
    fail('RUNLOG_AUTH', 'is off but RUNLOG_API_KEYS is set: unset one of them');
  } else if (auth === 'on' && apiKeys.length === 0 && !isLoopback(httpHost)) {
    fail(
      'RUNLOG_API_KEYS',
      `is not set, so the HTTP servers answer on loopback only (protected mode), but RUNLOG_HTTP_HOST is ${httpHost}: set RUNLOG_API_KEYS, or RUNLOG_AUTH=off to serve the network without keys`,
    );
  }
  const ports = {
    ingest: integer('INGEST_PORT', 4100, 0, 65535),
    leaseHistory: integer('LEASE_HISTORY_PORT', 4101, 0, 65535),
    traceStore: integer('TRACE_STORE_PORT', 4102, 0, 65535),
    normalizer: integer('NORMALIZER_PORT', 4103, 0, 65535),
    console: integer('CONSOLE_PORT', 4104, 0, 65535),
  };
  const otlpHttpPort =
    read('OTLP_HTTP_PORT') === 'off' ? undefined : integer('OTLP_HTTP_PORT', 4318, 0, 65535);
  const pricesPath = read('RUNLOG_MODEL_PRICES');
  let modelPrices: ModelPrices | undefined;
  try {
    modelPrices = pricesPath === undefined ? undefined : loadModelPrices(pricesPath);
  } catch (error) {
    if (!(error instanceof ModelPricesError)) throw error;
    fail('RUNLOG_MODEL_PRICES', error.message);
  }
  const sseMax = integer('RUNLOG_SSE_MAX', 256, 1, 100_000);
  const requestTimeoutMs = duration('RUNLOG_HTTP_REQUEST_TIMEOUT', 30_000, 1_000, 3_600_000);

  const config: RunlogConfig = {
    nats: {
      servers,
      inboxPrefix: inboxPrefix(read, fail, credentials),
      ...(credentials ? { credentials } : {}),
    },
    streams: { replicas: integer('RUNLOG_STREAM_REPLICAS', 1, 1, 5), maxAgeMs },
    ...(databaseUrl ? { databaseUrl } : {}),
    dataDir: read('RUNLOG_DATA_DIR') ?? './data',
    apiKeys,
    normalizerDurability: oneOf('NORMALIZER_DURABILITY', DURABILITY, 'compacted'),
    ports,
    console: {
      traceStoreUrl: origin('CONSOLE_TRACE_STORE_URL', ports.traceStore),
      leaseHistoryUrl: origin('CONSOLE_LEASE_HISTORY_URL', ports.leaseHistory),
    },
    httpHost,
    auth,
    http: {
      requestTimeoutMs,
      // Node enforces the larger of the two: headers never get longer than the request.
      headersTimeoutMs: Math.min(
        requestTimeoutMs,
        duration('RUNLOG_HTTP_HEADERS_TIMEOUT', 10_000, 1_000, 600_000),
      ),
      sseMax,
      sseMaxPerKey: Math.min(sseMax, integer('RUNLOG_SSE_MAX_PER_KEY', 32, 1, 100_000)),
    },
    ingest: {
      maxBatch: integer('INGEST_MAX_BATCH', 1000, 1, 100_000),
      maxBodyBytes: integer('INGEST_MAX_BODY_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    },
    otlp: { httpPort: otlpHttpPort, modelPrices },
    traces: { treeMaxNodes: integer('RUNLOG_TRACE_TREE_MAX_NODES', 10_000, 1, 1_000_000) },
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logPretty:
      read('LOG_PRETTY') !== undefined ? read('LOG_PRETTY') === '1' : process.stdout.isTTY === true,
  };
  if (errors.length > 0) throw new ConfigurationError(errors);
  return config;
}

function natsCredentials(
  read: (name: string) => string | undefined,
  fail: (variable: string, message: string) => void,
): NatsSettings['credentials'] {
  const creds = read('NATS_CREDS');
  const user = read('NATS_USER');
  const pass = read('NATS_PASS');
  const token = read('NATS_TOKEN');
  const given = [creds, user ?? pass, token].filter((v) => v !== undefined).length;
  if (given > 1) {
    fail('NATS_CREDS', 'set only one of NATS_CREDS, NATS_USER + NATS_PASS, NATS_TOKEN');
    return undefined;
  }
  if (creds) return { credsFile: creds };
  if (user !== undefined || pass !== undefined) {
    if (user === undefined) fail('NATS_USER', 'is required when NATS_PASS is set');
    if (pass === undefined) fail('NATS_PASS', 'is required when NATS_USER is set');
    return user !== undefined && pass !== undefined ? { user, pass } : undefined;
  }
  return token ? { token } : undefined;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const KNOWN_SCOPES: readonly string[] = [...FAMILIES, ...ROUTE_SCOPES, '*'];

/**
 * `key1=engine,trace;key2=read,metrics;key3=*` (DESIGN.md §4). A message names an entry
 * and a scope by position only, never by text: a `,` typed for a `;` would otherwise
 * print the next key (`k1=engine,secret2=*`).
 */
function parseApiKeys(
  raw: string | undefined,
  fail: (variable: string, message: string) => void,
): ApiKey[] {
  if (raw === undefined) return [];
  const keys: ApiKey[] = [];
  raw.split(';').forEach((entry, index) => {
    const trimmed = entry.trim();
    if (!trimmed) return;
    const at = `entry ${index + 1}`;
    const eq = trimmed.indexOf('=');
    const key = eq > 0 ? trimmed.slice(0, eq).trim() : '';
    const list = eq > 0 ? trimmed.slice(eq + 1).trim() : '';
    if (!key || !list) {
      fail('RUNLOG_API_KEYS', `${at} must look like <key>=<scope,scope>`);
      return;
    }
    if (key.length < MIN_API_KEY_LENGTH || /\s/.test(key)) {
      fail(
        'RUNLOG_API_KEYS',
        `${at}: a key must be at least ${MIN_API_KEY_LENGTH} characters, with no whitespace`,
      );
      return;
    }
    const scopes = list.split(',').map((s) => s.trim());
    const bad = scopes.flatMap((scope, i) => (KNOWN_SCOPES.includes(scope) ? [] : [i + 1]));
    if (bad.length > 0) {
      const hint = scopes.some((s) => s.includes('=')) ? " (a ',' typed for a ';'?)" : '';
      fail(
        'RUNLOG_API_KEYS',
        `${at}: scope ${bad.join(', ')} is not a family, read, admin, metrics or *${hint}`,
      );
      return;
    }
    keys.push({ key, name: `key#${index + 1}`, scopes: [...new Set(scopes)] as Scope[] });
  });
  if (new Set(keys.map((k) => k.key)).size !== keys.length) {
    fail('RUNLOG_API_KEYS', 'a key is listed twice');
  }
  return keys;
}

/**
 * Every environment variable {@link loadConfig} reads, found by letting it read an empty
 * environment (so the list cannot drift from the code). Deployment files are checked
 * against it.
 */
export function configVariables(): string[] {
  const seen = new Set<string>();
  const recorder = new Proxy<Env>(
    {},
    {
      get: (_, key) => {
        if (typeof key === 'string') seen.add(key);
        return undefined;
      },
    },
  );
  loadConfig(recorder);
  return [...seen].sort();
}
