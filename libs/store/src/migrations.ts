import { type Kysely, type Migration, type MigrationResult, Migrator, sql } from 'kysely';

/**
 * Applies a service's migrations, in name order, in its own schema: each service has
 * its own schema and its own migration table, so several services can share one database.
 * Migrations are code (no files to find at run time), versioned by name (`0001_init`).
 */
export async function migrateToLatest(
  db: Kysely<unknown>,
  schema: string,
  migrations: Readonly<Record<string, Migration>>,
): Promise<readonly MigrationResult[]> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableSchema: schema,
    migrationTableName: 'migrations',
    migrationLockTableName: 'migrations_lock',
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error');
    throw new Error(
      `migration ${failed?.migrationName ?? '(unknown)'} of schema ${schema} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      { cause: error },
    );
  }
  return results;
}
