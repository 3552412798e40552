import { hasUnstorableChar, isRfc3339 } from '@runlog/contracts';
import { ApiError } from './api-error';

/** Page size when `limit` is absent, and the largest one allowed. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1_000;

/** A query parameter as Fastify hands it over: absent, once, or repeated. */
export type QueryValue = string | string[] | undefined;

function invalid(parameter: string, value: unknown, message: string): ApiError {
  return new ApiError('invalid_parameter', `${parameter}: ${message}`, [
    { path: parameter, code: 'invalid_value', message, value },
  ]);
}

/**
 * The one value of a parameter given at most once; blank counts as absent. NUL and lone
 * surrogates are refused here, so no parameter reaches a store that cannot hold them.
 */
function single(parameter: string, value: QueryValue): string | undefined {
  if (Array.isArray(value)) throw invalid(parameter, value, 'must be given at most once');
  if (value !== undefined && hasUnstorableChar(value))
    throw new ApiError('invalid_parameter', `${parameter}: must not hold NUL or a lone surrogate`, [
      { path: parameter, code: 'invalid_value', message: 'must not hold NUL or a lone surrogate' },
    ]);
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A route's page sizes: the one used when `limit` is absent, and the largest allowed. */
export interface LimitBounds {
  readonly fallback: number;
  readonly max: number;
}

/**
 * `limit`: an integer from 1 to `bounds.max`, `bounds.fallback` when absent; by default
 * {@link DEFAULT_LIMIT} and {@link MAX_LIMIT}.
 */
export function parseLimit(
  value: QueryValue,
  bounds: LimitBounds = { fallback: DEFAULT_LIMIT, max: MAX_LIMIT },
): number {
  const raw = single('limit', value);
  if (raw === undefined) return bounds.fallback;
  const limit = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= bounds.max))
    throw invalid('limit', raw, `must be an integer from 1 to ${bounds.max}`);
  return limit;
}

/** A cursor (`after`, `Last-Event-ID`): a stream sequence, 0 (the default) for the start. */
export function parseCursor(parameter: string, value: QueryValue): number {
  const raw = single(parameter, value);
  if (raw === undefined) return 0;
  const cursor = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(cursor))
    throw invalid(parameter, raw, 'must be a cursor (a non-negative integer)');
  return cursor;
}

/** An optional text parameter (an id, an owner); when `allowed` is given, one of those. */
export function parseText<T extends string>(
  parameter: string,
  value: QueryValue,
  allowed?: readonly T[],
): T | undefined {
  const raw = single(parameter, value);
  if (raw === undefined || !allowed) return raw as T | undefined;
  if (!allowed.includes(raw as T))
    throw invalid(parameter, raw, `must be one of ${allowed.join(', ')}`);
  return raw as T;
}

/** An instant parameter (`since`, `until`): RFC 3339 or epoch milliseconds; epoch ms out. */
export function parseInstant(parameter: string, value: QueryValue): number | undefined {
  const raw = single(parameter, value);
  if (raw === undefined) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : isRfc3339(raw) ? Date.parse(raw) : NaN;
  if (!Number.isSafeInteger(ms))
    throw invalid(parameter, raw, 'must be an RFC 3339 date-time or epoch milliseconds');
  return ms;
}

/** A non-negative integer parameter (`min_duration_ms`). */
export function parseCount(parameter: string, value: QueryValue): number | undefined {
  const raw = single(parameter, value);
  if (raw === undefined) return undefined;
  const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(count)) throw invalid(parameter, raw, 'must be a non-negative integer');
  return count;
}
