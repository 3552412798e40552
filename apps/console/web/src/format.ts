// How numbers and instants read on the pages.

export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

export function formatTokens(tokens: number | undefined): string {
  return tokens === undefined ? '—' : tokens.toLocaleString('en-US');
}

export function formatCost(usd: number | undefined): string {
  if (usd === undefined) return '—';
  // Four decimals, more (up to six) only for what four would round away: $0.0060, $0.000123.
  return `$${usd.toFixed(6).replace(/(\.\d{4}\d*?)0+$/, '$1')}`;
}

/** An instant as UTC, to the millisecond: `2026-11-23 09:00:00.120Z`. */
export function formatTime(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'undefined';
}
