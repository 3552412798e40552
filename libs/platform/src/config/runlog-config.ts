import { FAMILIES, type Family } from '@runlog/contracts';
import { parseDuration } from './duration';

/** The NATS connection settings of DESIGN.md §6. */
export interface NatsSettings {
  readonly servers: readonly string[];
  readonly credentials?:
    | { readonly credsFile: string }
    | { readonly user: string; readonly pass: string }
    | { readonly token: string };
}

/** A key of `RUNLOG_API_KEYS` and the families it may write (`*` = all). */
export interface ApiKey {
  readonly key: string;
  readonly families: readonly Family[] | '*';
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
  };
  /** The address the HTTP servers bind to. */
  readonly httpHost: string;
  readonly ingest: { readonly maxBatch: number; readonly maxBodyBytes: number };
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
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    fail(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
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

  const config: RunlogConfig = {
    nats: { servers, ...(credentials ? { credentials } : {}) },
    streams: { replicas: integer('RUNLOG_STREAM_REPLICAS', 1, 1, 5), maxAgeMs },
    ...(databaseUrl ? { databaseUrl } : {}),
    dataDir: read('RUNLOG_DATA_DIR') ?? './data',
    apiKeys: parseApiKeys(read('RUNLOG_API_KEYS'), fail),
    normalizerDurability: oneOf('NORMALIZER_DURABILITY', DURABILITY, 'compacted'),
    ports: {
      ingest: integer('INGEST_PORT', 4100, 0, 65535),
      leaseHistory: integer('LEASE_HISTORY_PORT', 4101, 0, 65535),
      traceStore: integer('TRACE_STORE_PORT', 4102, 0, 65535),
      normalizer: integer('NORMALIZER_PORT', 4103, 0, 65535),
    },
    httpHost: read('RUNLOG_HTTP_HOST') ?? '0.0.0.0',
    ingest: {
      maxBatch: integer('INGEST_MAX_BATCH', 1000, 1, 100_000),
      maxBodyBytes: integer('INGEST_MAX_BODY_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    },
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

/** `key1=engine,trace;key2=*` (DESIGN.md §4). */
function parseApiKeys(
  raw: string | undefined,
  fail: (variable: string, message: string) => void,
): ApiKey[] {
  if (raw === undefined) return [];
  const keys: ApiKey[] = [];
  raw.split(';').forEach((entry, index) => {
    const trimmed = entry.trim();
    if (!trimmed) return;
    const eq = trimmed.indexOf('=');
    const key = eq > 0 ? trimmed.slice(0, eq).trim() : '';
    const list = eq > 0 ? trimmed.slice(eq + 1).trim() : '';
    if (!key || !list) {
      // Never echo a key: name the entry by position only.
      fail('RUNLOG_API_KEYS', `entry ${index + 1} must look like <key>=<family,family|*>`);
      return;
    }
    if (list === '*') {
      keys.push({ key, families: '*' });
      return;
    }
    const families = list.split(',').map((f) => f.trim());
    const unknown = families.filter((f) => !(FAMILIES as readonly string[]).includes(f));
    if (unknown.length > 0) {
      fail('RUNLOG_API_KEYS', `entry ${index + 1} names unknown families: ${unknown.join(', ')}`);
      return;
    }
    keys.push({ key, families: families as Family[] });
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
