const UNITS_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

/**
 * Parses a retention like `7d`, `12h`, `30m`, `90s`, `500ms`, `2w` or `0` (forever) into
 * milliseconds; `undefined` when the text is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!match) return undefined;
  const [, amount = '', unit] = match;
  const value = Number(amount);
  if (value === 0) return 0;
  if (!unit) return undefined;
  return value * UNITS_MS[unit as keyof typeof UNITS_MS];
}
