import { ApiError } from '@runlog/platform';
import { BINARY_PREFIX, binaryModeEvent } from '../intake/binary-mode';

/** The request media types `POST /v1/events` takes (CloudEvents HTTP binding, JSON format). */
export const EVENT_MEDIA_TYPES = [
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
] as const;

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The media type of a `content-type` header, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The events of one request, in order (CloudEvents HTTP protocol binding): binary mode
 * when a `ce-specversion` header is present (attributes in `ce-*` headers, the body is
 * `data`), otherwise structured mode (one event, or an array for a batch).
 */
export function eventsOfRequest(headers: Headers, body: unknown): unknown[] {
  const type = mediaType(header(headers, 'content-type'));
  if (!(EVENT_MEDIA_TYPES as readonly string[]).includes(type))
    throw new ApiError(
      'unsupported_media_type',
      `content-type must be one of ${EVENT_MEDIA_TYPES.join(', ')}; got ${type || 'none'}`,
    );
  if (header(headers, `${BINARY_PREFIX}specversion`) !== undefined) {
    if (type !== 'application/json')
      throw new ApiError(
        'unsupported_media_type',
        'a binary-mode CloudEvent must carry its data as application/json',
      );
    return [binaryEvent(headers, body)];
  }
  if (type === 'application/cloudevents-batch+json' && !Array.isArray(body))
    throw new ApiError('invalid_request', 'application/cloudevents-batch+json must be an array');
  if (type === 'application/cloudevents+json' && Array.isArray(body))
    throw new ApiError(
      'invalid_request',
      'application/cloudevents+json is one event; send a batch as application/cloudevents-batch+json',
    );
  if (Array.isArray(body)) return body as unknown[];
  if (typeof body === 'object' && body !== null) return [body];
  throw new ApiError('invalid_request', 'the body must be a CloudEvent object or an array of them');
}

/** A binary-mode event as its structured equivalent; its data is JSON (checked above). */
function binaryEvent(headers: Headers, body: unknown): Record<string, unknown> {
  const decoded = Object.entries(headers).flatMap(([name, value]) =>
    value === undefined
      ? []
      : [[name, percentDecoded(Array.isArray(value) ? value.join(',') : value)] as const],
  );
  return { ...binaryModeEvent(decoded, body), datacontenttype: 'application/json' };
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Header values are percent-encoded where they hold what a header cannot (CloudEvents HTTP binding §3.1.3.2). */
function percentDecoded(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
