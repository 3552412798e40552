// Exact sums of doubles, kept as non-overlapping partials (Shewchuk's algorithm, as Python's
// math.fsum): the partials hold the exact sum whatever order the values came in, and
// exactValue rounds it once, correctly. So a sum folded one batch at a time, in any arrival
// order, equals the sum of all values at once, to the last bit: what lets trace-store keep
// usage costs incrementally and still answer exactly what the pure model computes.

/** `parts` with `value` added: new partials, smallest magnitude first. */
export function addExact(parts: readonly number[], value: number): number[] {
  // Past the finite range there is no exact sum left to keep: carry on in plain floats.
  if (!Number.isFinite(value) || !parts.every(Number.isFinite))
    return [parts.reduce((sum, part) => sum + part, value)];
  const out: number[] = [];
  let x = value;
  for (const part of parts) {
    let y = part;
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    const hi = x + y;
    if (!Number.isFinite(hi)) return [hi];
    const lo = y - (hi - x);
    if (lo !== 0) out.push(lo);
    x = hi;
  }
  out.push(x);
  return out;
}

/** Partials of all `values`. */
export function exactParts(values: Iterable<number>): number[] {
  let parts: number[] = [];
  for (const value of values) parts = addExact(parts, value);
  return parts;
}

/** The partials' exact sum rounded to the nearest double (ties to even), as math.fsum does. */
export function exactValue(parts: readonly number[]): number {
  let n = parts.length;
  if (n === 0) return 0;
  if (!parts.every(Number.isFinite)) return parts.reduce((sum, part) => sum + part, 0);
  let hi = parts[--n] ?? 0;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = parts[--n] ?? 0;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Half-even rounding across partials: a lower partial of the same sign as the rounding
  // error means the exact sum lies past the halfway point.
  const below = parts[n - 1] ?? 0;
  if (n > 0 && ((lo < 0 && below < 0) || (lo > 0 && below > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

/** The exact sum of `values`, correctly rounded. */
export function exactSum(values: Iterable<number>): number {
  return exactValue(exactParts(values));
}
