import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { hasUnstorableChar, MAX_SUBJECT_BYTES } from '@runlog/contracts';
import { ApiError } from './api-error';

/** The longest id ingest takes (a subject key of at most this many UTF-8 bytes). */
export const MAX_ID_BYTES = MAX_SUBJECT_BYTES;

/**
 * An id path parameter (`/v1/traces/{id}`), decoded by the router: every id ingest
 * accepts reads back, and anything else is a 400 naming the parameter, never a 500 from
 * the store (a `%00`) or a 414.
 */
export function parseId(parameter: string, value: unknown): string {
  const refuse = (message: string): ApiError =>
    new ApiError('invalid_parameter', `${parameter}: ${message}`, [
      { path: parameter, code: 'invalid_value', message },
    ]);
  if (typeof value !== 'string' || value.length === 0) throw refuse('must not be empty');
  if (hasUnstorableChar(value)) throw refuse('must not hold NUL or a lone surrogate');
  if (Buffer.byteLength(value, 'utf8') > MAX_ID_BYTES)
    throw refuse(`must be at most ${MAX_ID_BYTES} bytes of UTF-8`);
  return value;
}

/** `@Param('id', IdParamPipe)`: {@link parseId} on a route parameter. */
@Injectable()
export class IdParamPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    return parseId(metadata.data ?? 'id', value);
  }
}
