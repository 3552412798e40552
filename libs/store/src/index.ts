/**
 * The SQL store of runlog's projections: PostgreSQL through Kysely when `DATABASE_URL`
 * is set, PGlite (Postgres in WebAssembly, same SQL) otherwise; versioned migrations per
 * service schema; a NestJS module that opens, migrates and closes it.
 */
export {
  openStore,
  storeReadiness,
  storeTarget,
  type OpenStoreOptions,
  type Store,
  type StoreTarget,
} from './store';
export {
  classifyStoreError,
  StoreTrapError,
  StoreUnavailableError,
  type StoreErrorClass,
} from './store-errors';
export { ReopeningPGlite, type FatalHook } from './pglite-reopening';
export { migrateToLatest } from './migrations';
export { STORE, StoreModule, type StoreModuleOptions } from './store.module';
export {
  createGapsTable,
  GAPS_CAP,
  type GapList,
  type GapRecord,
  listGaps,
  recordGap,
  type StoredGap,
} from './gaps';
export { lockKeys, LOCK_NAMESPACES } from './locks';
export type { BigIntColumn, JsonColumn } from './columns';
