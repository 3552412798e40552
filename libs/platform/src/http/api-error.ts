/**
 * An error an HTTP API answers on purpose, with a stable `code` (STYLE.md 6). The body
 * is always `{"error":{"code","message","details"}}`; the status comes from the code
 * through {@link statusForCode}, in one place.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: readonly unknown[] = [],
    /** Headers the answer carries (`Retry-After` on a 429). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Codes and their HTTP statuses: the one table every service shares. */
const STATUS_BY_CODE = {
  invalid_request: 400,
  invalid_parameter: 400,
  validation_failed: 400,
  confidentiality_violation: 400,
  malformed_json: 400,
  empty_batch: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  too_many_events: 413,
  unavailable: 503,
  internal: 500,
  /** The console's proxy: an upstream service did not answer. */
  bad_gateway: 502,
} as const satisfies Readonly<Record<string, number>>;

/** Every code an error answer carries: the keys of the one status table. */
export type ApiErrorCode = keyof typeof STATUS_BY_CODE;

/** The known codes, in the table's order (for documents and exhaustive tests). */
export const API_ERROR_CODES = Object.keys(STATUS_BY_CODE) as readonly ApiErrorCode[];

export function statusForCode(code: string): number {
  return (STATUS_BY_CODE as Readonly<Record<string, number>>)[code] ?? 500;
}

/** The wire shape of every error answer. */
export interface ErrorBody {
  readonly error: {
    readonly code: ApiErrorCode;
    readonly message: string;
    readonly details: readonly unknown[];
  };
}

export function errorBody(
  code: ApiErrorCode,
  message: string,
  details: readonly unknown[] = [],
): ErrorBody {
  return { error: { code, message, details } };
}
