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

const load = (file: string) => parse(read(file), { merge: true }) as Compose;
const base = load('docker-compose.yml');
const cluster = load('docker-compose.cluster.yml');

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

  it.each(SERVICES)(
    '%s: built from the Dockerfile, configured with valid variables only, health-checked on its port, after NATS and PostgreSQL are healthy',
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

      expect(service.ports).toEqual([`${port}:${port}`]);
      expect(service.healthcheck?.test.join(' ')).toContain(
        `http://127.0.0.1:${port}/health/ready`,
      );
      expect(service.depends_on).toEqual({
        nats: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
      });
      expect(service.restart).toBe('unless-stopped');
    },
  );
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
      'nats',
      'nats-2',
      'nats-3',
      'postgres',
    ]);
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
