import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A SQL database for one test: PostgreSQL (a database of its own) or an embedded PGlite directory. */
export type TestDatabase =
  | { readonly kind: 'postgres'; readonly url: string; drop(): Promise<void> }
  | { readonly kind: 'pglite'; readonly dataDir: string; drop(): Promise<void> };

/** A database server for a test run: PostgreSQL from `DATABASE_URL` or a container, else PGlite. */
export interface DatabaseServerHandle {
  readonly kind: 'postgres' | 'pglite';
  /** The admin URL (postgres only). */
  readonly url?: string;
  /** A fresh, empty database; `drop()` deletes it. */
  createDatabase(): Promise<TestDatabase>;
  stop(): Promise<void>;
}

/**
 * PostgreSQL when `DATABASE_URL` is set; else a PostgreSQL container when a Docker engine
 * answers; else PGlite (Postgres in WebAssembly) in temporary directories.
 */
export async function startDatabase(): Promise<DatabaseServerHandle> {
  const url = process.env.DATABASE_URL;
  if (url) return postgresServer(url, async () => {});
  const { dockerAvailable } = await import('./docker');
  if (await dockerAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    return postgresServer(container.getConnectionUri(), async () => {
      await container.stop();
    });
  }
  return pgliteServer();
}

/** Every store the tests should run against: PGlite always, PostgreSQL too when `DATABASE_URL` is set. */
export function testStoreKinds(): Array<'pglite' | 'postgres'> {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** A fresh database of the given kind (postgres needs `DATABASE_URL`). */
export async function createTestDatabase(kind: 'pglite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'pglite') return pgliteServer().createDatabase();
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('createTestDatabase("postgres") needs DATABASE_URL');
  return postgresServer(url, async () => {}).createDatabase();
}

function postgresServer(adminUrl: string, stop: () => Promise<void>): DatabaseServerHandle {
  return {
    kind: 'postgres',
    url: adminUrl,
    stop,
    createDatabase: async () => {
      const name = `runlog_test_${randomBytes(6).toString('hex')}`;
      await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
      const dbUrl = new URL(adminUrl);
      dbUrl.pathname = `/${name}`;
      return {
        kind: 'postgres',
        url: dbUrl.toString(),
        drop: async () => {
          await withClient(adminUrl, (client) =>
            client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
          );
        },
      };
    },
  };
}

function pgliteServer(): DatabaseServerHandle {
  return {
    kind: 'pglite',
    stop: async () => {},
    createDatabase: async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'runlog-pglite-'));
      return {
        kind: 'pglite',
        dataDir,
        drop: async () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  };
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
