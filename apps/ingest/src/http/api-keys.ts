import { type Family } from '@runlog/contracts';
import { ApiError, type Caller, keyAllows } from '@runlog/platform';

/**
 * 403 for the whole batch when an event names a family outside the caller's key
 * (DESIGN.md §4). Who the caller is was settled before the body was read (installAuth).
 */
export function authorize(caller: Caller, families: ReadonlyArray<Family | undefined>): void {
  if (caller.open) return;
  const { key } = caller;
  const denied = families
    .map((family, index) => ({ index, family }))
    .filter((item): item is { index: number; family: Family } =>
      item.family === undefined ? false : !keyAllows(key, item.family),
    );
  if (denied.length > 0) {
    throw new ApiError(
      'forbidden',
      `the API key may not write ${[...new Set(denied.map((d) => d.family))].join(', ')}`,
      denied,
    );
  }
}
