import { type QueryExecutorProvider, sql } from 'kysely';

/**
 * Takes a transaction-scoped advisory lock per key (`pg_advisory_xact_lock(namespace,
 * hashtext(key))`), in sorted order and in one statement, so two replicas locking
 * overlapping keys queue instead of deadlocking. `namespace` keeps services that share a
 * database out of each other's way. Call it inside a transaction; the locks end with it.
 */
export async function lockKeys(
  trx: QueryExecutorProvider,
  namespace: number,
  keys: readonly string[],
): Promise<void> {
  if (keys.length === 0) return;
  const sorted = [...new Set(keys)].sort();
  await sql`select pg_advisory_xact_lock(${namespace}::int, hashtext(key))
            from unnest(${sorted}::text[]) as key order by key`.execute(trx);
}

/** The advisory-lock namespaces of runlog's services. */
export const LOCK_NAMESPACES = { leaseHistory: 1, traceStore: 2 } as const;
