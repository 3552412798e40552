/**
 * How a store failure is to be treated (docs/decisions.md, "poison or outage"):
 * - `transient`: the store itself is down or out of resources (connection refused or lost,
 *   database shutting down or restarting, too many connections): retry the same work later,
 *   park nothing;
 * - `poison`: the store refused this data (bad encoding, a NUL, integrity, a limit) or
 *   trapped on it: it will refuse it again, so isolate and park it;
 * - `unknown`: anything else (a bug): retried with backoff, parked after max_deliver.
 */
export type StoreErrorClass = 'transient' | 'poison' | 'unknown';

/** Thrown by a PGlite store whose WebAssembly instance trapped on a query: it was reopened. */
export class StoreTrapError extends Error {
  readonly code = 'store_trap';
}

/** Thrown by a store that is closed for good (a failed reopen, or after close()). */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
}

// SQLSTATE classes (PostgreSQL appendix A).
const TRANSIENT_CLASSES = new Set(['08', '53', '57', '58']); // connection, resources, operator intervention, system
const POISON_CLASSES = new Set(['22', '23', '54']); // data exception, integrity violation, program limit
/** Node socket errors of a database that is not there (pg passes them through). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const TRANSIENT_MESSAGES =
  /connection terminated|connection error|timeout exceeded when trying to connect|Connection refused|server closed the connection|PGlite is clos|the database system is (starting up|shutting down|in recovery)/i;

/** Classifies an error thrown by a query of a runlog store (PostgreSQL or PGlite). */
export function classifyStoreError(error: unknown): StoreErrorClass {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof StoreTrapError) return 'poison';
    if (current instanceof StoreUnavailableError) return 'transient';
    if (isTrap(current)) return 'poison';
    const code = codeOf(current);
    if (code !== undefined) {
      if (SOCKET_CODES.has(code)) return 'transient';
      if (/^[0-9A-Z]{5}$/.test(code)) {
        const cls = code.slice(0, 2);
        if (TRANSIENT_CLASSES.has(cls)) return 'transient';
        if (POISON_CLASSES.has(cls)) return 'poison';
      }
    }
    if (current instanceof Error && TRANSIENT_MESSAGES.test(current.message)) return 'transient';
    current = current instanceof Error ? current.cause : undefined;
  }
  return 'unknown';
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A WebAssembly trap (`RuntimeError: unreachable`, `memory access out of bounds`). The
 * `WebAssembly` global has no type in this project's lib, so it is told by its name.
 */
export function isTrap(error: unknown): error is Error {
  return error instanceof Error && error.name === 'RuntimeError';
}
