/**
 * The SQL store of runlog's projections: PostgreSQL through Kysely when `DATABASE_URL`
 * is set, PGlite (Postgres in WebAssembly, same SQL) otherwise; versioned migrations per
 * service schema.
 */
export { openStore, storeTarget, type Store, type StoreTarget } from './store';
export { migrateToLatest } from './migrations';
