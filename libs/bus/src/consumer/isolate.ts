import { type ErrorClass } from './consumer-spec';
import { type Outcome } from './outcome';

/**
 * What the runtime does with one message after isolation: the handler's own outcome, or
 * - `poison`: the handler failed on this message alone with an error classified poison:
 *   dead-letter it now (cause `poison`), with the error as the reason;
 * - `outage`: the handler's store is down: retry with backoff, never park (max_deliver
 *   does not apply).
 */
export type Verdict =
  | Outcome
  | { readonly type: 'poison'; readonly reason: string }
  | { readonly type: 'outage'; readonly reason: string };

/**
 * Runs `attempt` on all `items`; when it throws, finds which items fail by bisection
 * (docs/decisions.md, "poison or outage"). Parts are attempted and settled in stream
 * order, each as soon as it is known, so the good events around a poison one are
 * committed and acked in order, and only the item that fails alone is given its error.
 * A transient error (the store is down) ends the search: everything not yet committed
 * is an `outage`, retried as it is. An `unknown` error of a single item is a plain retry
 * (parked only after max_deliver, as before isolation existed).
 */
export async function isolate<T>(
  items: readonly T[],
  attempt: (part: readonly T[]) => Promise<readonly Outcome[]>,
  classify: (error: unknown) => ErrorClass,
  settle: (part: readonly T[], verdicts: readonly Verdict[]) => Promise<void>,
): Promise<void> {
  let outage: string | undefined;
  const run = async (part: readonly T[]): Promise<void> => {
    if (part.length === 0) return;
    if (outage !== undefined) {
      const reason = outage;
      return settle(
        part,
        part.map(() => ({ type: 'outage', reason })),
      );
    }
    let outcomes: readonly Outcome[];
    try {
      outcomes = await attempt(part);
    } catch (error) {
      const reason = describe(error);
      const kind = safely(classify, error);
      if (kind === 'transient') {
        outage = reason;
        return settle(
          part,
          part.map(() => ({ type: 'outage', reason })),
        );
      }
      if (part.length === 1) {
        return settle(part, [
          kind === 'poison' ? { type: 'poison', reason } : { type: 'retry', reason },
        ]);
      }
      const middle = Math.ceil(part.length / 2);
      await run(part.slice(0, middle));
      await run(part.slice(middle));
      return;
    }
    await settle(part, outcomes);
  };
  await run(items);
}

/** A classifier that throws is treated as not knowing. */
function safely(classify: (error: unknown) => ErrorClass, error: unknown): ErrorClass {
  try {
    return classify(error);
  } catch {
    return 'unknown';
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
