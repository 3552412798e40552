// How the browser reads the services: through the console's own `/api/<service>/v1/...`
// (decisions D37), with the user's key when the deployment has keys.

/** The services the console server forwards to. */
export type Service = 'trace-store' | 'lease-history';

const KEY_STORAGE = 'runlog.console.key';

/** The key the user gave this tab, if any (sessionStorage: gone with the tab). */
export function apiKey(): string | undefined {
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

export function setApiKey(key: string | undefined): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** A failed read, with the service's error code when it sent one. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** The key is missing, unknown, or lacks the scope: ask for one. */
  get needsKey(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export type Query = Readonly<Record<string, string | number | undefined>>;

export function apiUrl(service: Service, path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const search = params.toString();
  return `/api/${service}/v1/${path}${search ? `?${search}` : ''}`;
}

/** `encodeURIComponent` for one path segment (ids may hold `/`). */
export const segment = encodeURIComponent;

function isErrorBody(value: unknown): value is { error: { code: string; message: string } } {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = value.error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

export async function getJson<T>(
  service: Service,
  path: string,
  query?: Query,
  signal?: AbortSignal,
): Promise<T> {
  const key = apiKey();
  const response = await fetch(apiUrl(service, path, query), {
    headers: { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    signal,
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    if (isErrorBody(body))
      throw new ApiFailure(response.status, body.error.code, body.error.message);
    throw new ApiFailure(response.status, 'http_error', `${service} answered ${response.status}`);
  }
  return body as T;
}

/** An SSE URL: `EventSource` cannot set headers, so the key rides as `access_token`. */
export function streamUrl(service: Service, path: string, query: Query = {}): string {
  return apiUrl(service, path, { ...query, access_token: apiKey() });
}

/** A message for the page from whatever a read threw. */
export function describeError(error: unknown): string {
  if (error instanceof ApiFailure) return `${error.message} (${error.code}, HTTP ${error.status})`;
  return error instanceof Error ? error.message : String(error);
}
