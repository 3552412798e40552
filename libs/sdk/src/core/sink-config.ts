// The settings a BufferedSink runs with: every default filled in and every limit checked
// once, in the constructor, so a bad option throws there and never later in emit or the
// send loop.
import { type SinkOptions } from '../types';

/** NATS's default max_payload less room for headers and the subject. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024 - 4 * 1024;

/** Per-transport defaults and limits. */
export interface BufferedSinkDefaults {
  readonly batchSize: number;
  /** The largest batch the transport takes (HTTP: ingest's INGEST_MAX_BATCH default). */
  readonly maxBatchSize?: number;
}

export interface SinkConfig {
  readonly batchSize: number;
  readonly batchBytes: number;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly lingerMs: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** The sink's own limit; the transport's may be lower. */
  readonly maxEventBytes: number;
}

/** The options with their defaults; throws a RangeError naming the first bad one. */
export function sinkConfig(options: SinkOptions, defaults: BufferedSinkDefaults): SinkConfig {
  const batchSize = positive('batchSize', options.batchSize ?? defaults.batchSize);
  if (defaults.maxBatchSize !== undefined && batchSize > defaults.maxBatchSize)
    throw new RangeError(`batchSize must be at most ${defaults.maxBatchSize}`);
  const batchBytes = positive('batchBytes', options.batchBytes ?? 1024 * 1024);
  const maxEvents = positive('maxBufferedEvents', options.maxBufferedEvents ?? 10_000);
  const maxBytes = positive('maxBufferedBytes', options.maxBufferedBytes ?? 16 * 1024 * 1024);
  if (maxEvents < batchSize) throw new RangeError('maxBufferedEvents must be at least batchSize');
  return {
    batchSize,
    batchBytes,
    maxEvents,
    maxBytes,
    lingerMs: Math.max(0, options.lingerMs ?? 5),
    backoff: {
      initialMs: positive('backoff.initialMs', options.backoff?.initialMs ?? 100),
      maxMs: positive('backoff.maxMs', options.backoff?.maxMs ?? 5_000),
    },
    maxEventBytes: positive('maxEventBytes', options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
