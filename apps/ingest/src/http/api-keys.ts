import { createHash, timingSafeEqual } from 'node:crypto';
import { type Family } from '@runlog/contracts';
import { ApiError, type ApiKey } from '@runlog/platform';

/** Who is calling: every family when no keys are configured (open), else what the key allows. */
export type Caller = { readonly open: true } | { readonly open: false; readonly key: ApiKey };

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <key>` against `RUNLOG_API_KEYS` (DESIGN.md §4): missing
 * or unknown is 401. Keys are compared in constant time (digests, every key looked at)
 * and never logged or echoed.
 */
export function authenticate(keys: readonly ApiKey[], authorization: string | undefined): Caller {
  if (keys.length === 0) return { open: true };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1])
    throw new ApiError('unauthorized', 'an API key is required: Authorization: Bearer <key>');
  const given = digest(match[1]);
  let found: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(given, digest(key.key)) && found === undefined) found = key;
  }
  if (!found) throw new ApiError('unauthorized', 'the API key is not valid');
  return { open: false, key: found };
}

/** 403 for the whole batch when an event names a family outside the caller's key. */
export function authorize(caller: Caller, families: ReadonlyArray<Family | undefined>): void {
  if (caller.open || caller.key.families === '*') return;
  const allowed = new Set<Family>(caller.key.families);
  const denied = families
    .map((family, index) => ({ index, family }))
    .filter((item): item is { index: number; family: Family } =>
      item.family === undefined ? false : !allowed.has(item.family),
    );
  if (denied.length > 0) {
    throw new ApiError(
      'forbidden',
      `the API key may not write ${[...new Set(denied.map((d) => d.family))].join(', ')}`,
      denied,
    );
  }
}
