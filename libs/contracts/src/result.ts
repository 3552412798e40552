/** An expected outcome: a value, or the reasons there is none (STYLE.md 7). */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(errors: E): { readonly ok: false; readonly errors: E } {
  return { ok: false, errors };
}
