import { type Instant } from './families/schema';

/**
 * An instant (`at`, `timestamp`: RFC 3339 or epoch milliseconds, DESIGN.md §3) as an
 * RFC 3339 UTC string with milliseconds, so stored instants compare and sort as text.
 * The contract admits only instants a Date holds; anything else is returned as given.
 */
export function instantIso(at: Instant): string {
  const ms = instantMs(at);
  return Number.isNaN(ms) ? String(at) : new Date(ms).toISOString();
}

/** Epoch milliseconds of an instant; NaN when it names none. */
export function instantMs(at: Instant): number {
  return new Date(at).getTime();
}
