// There is no Docker engine here: the deployment files are checked against the code they
// deploy instead (DESIGN.md §6 configuration, the build's output, the health routes).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configVariables, loadConfig } from '@runlog/platform';
import { parse } from 'yaml';

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface ComposeService {
  image?: string;
  command?: string[];
  profiles?: string[];
  build?: { context: string; target: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

/** The variables of `.env.example`, as `docker compose` reads an `.env` file. */
function dotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) values[match[1]!] = match[2]!.trim();
  }
  return values;
}
const example = dotenv(read('.env.example'));

/**
 * Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?message}`: throws
 * the message when a required variable is unset or empty, as `docker compose` stops.
 */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g,
    (_, name: string, op?: string, arg?: string) => {
      const value = env[name];
      if (value) return value;
      if (op === '?') throw new Error(`${name}: ${arg}`);
      return op === '-' ? (arg ?? '') : '';
    },
  );
}

const load = (file: string, env = example) =>
  parse(interpolate(read(file), env), { merge: true }) as Compose;
const base = load('docker-compose.yml');
const cluster = load('docker-compose.cluster.yml');

/** The NATS configuration compose mounts, where it mounts it, and the variables it reads. */
const NATS_CONF = 'deploy/nats/nats.conf';
const NATS_CONF_MOUNT = `./${NATS_CONF}:/etc/nats/nats.conf:ro`;
const natsConf = read(NATS_CONF);
const natsConfVariables = [...natsConf.matchAll(/password:\s*\$(\w+)/g)].map((m) => m[1]!);
const natsConfUsers = [...natsConf.matchAll(/user:\s*([\w-]+)/g)].map((m) => m[1]!);

/** Each service, its port variable and default port (DESIGN.md §4). */
const SERVICES = [
  ['ingest', 'INGEST_PORT', 4100],
  ['lease-history', 'LEASE_HISTORY_PORT', 4101],
  ['trace-store', 'TRACE_STORE_PORT', 4102],
  ['normalizer', 'NORMALIZER_PORT', 4103],
] as const;

/** What `docker compose -f base -f cluster` makes of a service: maps merge, the rest replaces. */
function merged(name: string): ComposeService {
  const a = base.services[name] ?? {};
  const b = cluster.services[name] ?? {};
  return {
    ...a,
    ...b,
    environment: { ...a.environment, ...b.environment },
    depends_on: { ...a.depends_on, ...b.depends_on },
  };
}

describe('docker-compose.yml', () => {
  it('runs NATS with JetStream on a volume and PostgreSQL 16 on a volume, both health-checked', () => {
    const nats = base.services.nats!;
    expect(nats.image).toMatch(/^nats:2\.(1\d|[2-9]\d)/);
    expect(nats.command).toEqual(expect.arrayContaining(['-js', '-sd', '/data']));
    expect(nats.volumes?.[0]).toMatch(/^nats-data:\/data$/);
    expect(nats.healthcheck?.test.join(' ')).toContain('/healthz');
    const postgres = base.services.postgres!;
    expect(postgres.image).toMatch(/^postgres:16/);
    expect(postgres.volumes?.[0]).toMatch(/^postgres-data:/);
    expect(postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(Object.keys(base.volumes)).toEqual(['nats-data', 'postgres-data']);
  });

  it('runs NATS with deploy/nats/nats.conf mounted, and every password it reads set from .env', () => {
    const nats = base.services.nats!;
    expect(existsSync(join(root, NATS_CONF))).toBe(true);
    expect(nats.command?.slice(0, 2)).toEqual(['-c', '/etc/nats/nats.conf']);
    expect(nats.volumes).toContain(NATS_CONF_MOUNT);
    expect(natsConfVariables.length).toBeGreaterThan(0);
    expect(Object.keys(nats.environment ?? {}).sort()).toEqual([...natsConfVariables].sort());
    for (const variable of natsConfVariables)
      expect([variable, nats.environment?.[variable]]).toEqual([variable, example[variable]]);
  });

  it('publishes every port on 127.0.0.1 of the host only', () => {
    for (const [name, service] of Object.entries(base.services))
      for (const port of service.ports ?? [])
        expect([name, port]).toEqual([name, expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/)]);
  });

  it('needs a .env: without one, compose stops naming the first secret missing', () => {
    expect(() => load('docker-compose.yml', {})).toThrow(/^[A-Z_]+: set [A-Z_]+ in \.env/);
    expect(() => load('docker-compose.cluster.yml', {})).toThrow(/in \.env/);
    // And .env.example defines every variable either file uses.
    const used = [
      ...`${read('docker-compose.yml')}${read('docker-compose.cluster.yml')}`.matchAll(
        /\$\{([A-Za-z_][A-Za-z0-9_]*)/g,
      ),
    ].map((m) => m[1]!);
    expect([...new Set(used)].filter((name) => !example[name])).toEqual([]);
  });

  it('.env.example: API keys of at least 16 characters, NATS passwords nats-server can read', () => {
    const keys = loadConfig({ RUNLOG_API_KEYS: example.RUNLOG_API_KEYS }).apiKeys;
    expect(keys.length).toBeGreaterThan(0);
    for (const { key } of keys) expect(key.length).toBeGreaterThanOrEqual(16);
    for (const variable of natsConfVariables)
      expect([variable, example[variable]]).toEqual([
        variable,
        expect.stringMatching(/^[A-Za-z][A-Za-z0-9]{15,}$/),
      ]);
  });

  it.each(SERVICES)(
    '%s: built from the Dockerfile, configured with valid variables only, health-checked on its port, its own NATS user, after NATS and PostgreSQL (and ingest, for the others) are healthy',
    (name, portVariable, port) => {
      const service = base.services[name]!;
      expect(service.build).toMatchObject({ context: '.', target: 'runtime', args: { APP: name } });
      expect(existsSync(join(root, `apps/${name}/src/main.ts`))).toBe(true);

      const env = service.environment ?? {};
      const known = configVariables();
      expect(Object.keys(env).filter((key) => !known.includes(key))).toEqual([]);
      const config = loadConfig(env); // throws, naming the variable, if any value is invalid
      expect(config.databaseUrl).toMatch(/@postgres:5432\//);
      expect(config.nats.servers).toEqual(['nats://nats:4222']);
      expect(env[portVariable]).toBe(String(port));
      // Its own NATS user (deploy/nats/nats.conf) and that user's password from .env.
      expect(natsConfUsers).toContain(name);
      const passVariable = `NATS_${name.toUpperCase().replace(/-/g, '_')}_PASS`;
      expect(natsConfVariables).toContain(passVariable);
      expect(config.nats.credentials).toEqual({ user: name, pass: example[passVariable] });
      expect(config.apiKeys.length).toBeGreaterThan(0);

      // ingest also publishes the OTLP/HTTP standard port (D42).
      expect(service.ports).toEqual(
        name === 'ingest'
          ? [`127.0.0.1:${port}:${port}`, '127.0.0.1:4318:4318']
          : [`127.0.0.1:${port}:${port}`],
      );
      if (name === 'ingest') expect(config.otlp.httpPort).toBe(4318);
      expect(service.healthcheck?.test.join(' ')).toContain(
        `http://127.0.0.1:${port}/health/ready`,
      );
      // Only ingest creates the streams (nats.conf): the others start once it is healthy.
      expect(service.depends_on).toEqual({
        nats: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        ...(name === 'ingest' ? {} : { ingest: { condition: 'service_healthy' } }),
      });
      expect(service.restart).toBe('unless-stopped');
    },
  );
});

describe('docker-compose.yml: the console', () => {
  it('runs on its port after trace-store and lease-history, reading them over the compose network, with the keys and no NATS or database', () => {
    const service = base.services.console!;
    expect(service.build).toMatchObject({
      context: '.',
      target: 'runtime',
      args: { APP: 'console' },
    });
    expect(existsSync(join(root, 'apps/console/src/main.ts'))).toBe(true);
    const env = service.environment ?? {};
    const known = configVariables();
    expect(Object.keys(env).filter((key) => !known.includes(key))).toEqual([]);
    const config = loadConfig(env);
    expect(config.ports.console).toBe(4104);
    expect(config.console).toEqual({
      traceStoreUrl: `http://trace-store:${base.services['trace-store']!.environment!.TRACE_STORE_PORT}`,
      leaseHistoryUrl: `http://lease-history:${base.services['lease-history']!.environment!.LEASE_HISTORY_PORT}`,
    });
    expect(config.apiKeys.length).toBeGreaterThan(0);
    expect(config.nats.credentials).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(service.ports).toEqual(['127.0.0.1:4104:4104']);
    expect(service.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:4104/health/ready');
    expect(service.depends_on).toEqual({
      'trace-store': { condition: 'service_healthy' },
      'lease-history': { condition: 'service_healthy' },
    });
    expect(service.restart).toBe('unless-stopped');
  });
});

describe('docker-compose.cluster.yml', () => {
  it('adds two JetStream nodes routed to the first, in the cluster profile', () => {
    const names = ['nats', 'nats-2', 'nats-3'];
    for (const node of names) {
      const command = merged(node).command ?? [];
      expect([node, command]).toEqual([
        node,
        expect.arrayContaining(['-js', '--cluster_name', 'runlog']),
      ]);
      const routes = command[command.indexOf('--routes') + 1]!.split(',');
      expect(routes.map((r) => new URL(r).hostname).sort()).toEqual(
        names.filter((n) => n !== node),
      );
    }
    for (const node of names) {
      const service = merged(node);
      expect([node, service.command?.slice(0, 2)]).toEqual([node, ['-c', '/etc/nats/nats.conf']]);
      expect([node, service.volumes]).toEqual([node, expect.arrayContaining([NATS_CONF_MOUNT])]);
      expect([node, Object.keys(service.environment ?? {}).sort()]).toEqual([
        node,
        [...natsConfVariables].sort(),
      ]);
    }
    expect(cluster.services['nats-2']?.profiles).toEqual(['cluster']);
    expect(cluster.services['nats-3']?.profiles).toEqual(['cluster']);
  });

  it.each(SERVICES)('%s: connects to all three nodes with streams replicated 3 times', (name) => {
    const service = merged(name);
    const config = loadConfig(service.environment);
    expect(config.nats.servers).toEqual([
      'nats://nats:4222',
      'nats://nats-2:4222',
      'nats://nats-3:4222',
    ]);
    expect(config.streams.replicas).toBe(3);
    expect(Object.keys(service.depends_on ?? {}).sort()).toEqual([
      ...(name === 'ingest' ? [] : ['ingest']),
      'nats',
      'nats-2',
      'nats-3',
      'postgres',
    ]);
    expect(config.nats.credentials).toMatchObject({ user: name });
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));

  it('copies only paths that exist and builds with the scripts package.json has', () => {
    const copies = lines.filter((line) => line.startsWith('COPY ') && !line.includes('--from='));
    const sources = copies.flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources)
      expect([source, existsSync(join(root, source))]).toEqual([source, true]);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts;
    for (const [, script] of read('Dockerfile').matchAll(/npm run (\S+)/g)) {
      expect([script, scripts[script!]]).toEqual([script, expect.any(String)]);
    }
  });

  it('has a build and a runtime stage, and starts the built entry point of the chosen app', () => {
    expect(
      lines.filter((line) => line.startsWith('FROM ')).map((line) => line.split(' ').at(-1)),
    ).toEqual(['build', 'runtime']);
    const cmd = lines.find((line) => line.startsWith('CMD '))!;
    expect(cmd).toContain('dist/apps/${RUNLOG_APP}/src/main.js');
    // `nest build` writes apps/<app>/src/main.ts to dist/apps/<app>/src/main.js (the same
    // paths `npm start` and `npm run start:<app>` run).
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(start['start:ingest']).toContain('dist/apps/ingest/src/main.js');
    const defaultApp = /ARG APP=(\S+)/.exec(read('Dockerfile'))?.[1];
    expect(existsSync(join(root, `apps/${defaultApp}/src/main.ts`))).toBe(true);
  });
});
