import { randomUUID } from 'node:crypto';
import {
  decode,
  encode,
  ENVELOPE_ATTRIBUTES,
  eventType,
  type Family,
  keyOfSubjectAttribute,
  parseEventType,
  type RunlogEvent,
  traceContextHeaders,
  type ValidationError,
} from '@runlog/contracts';
import { describe } from './describe';
import { type Entry } from './entry';

/** What `emit` knows about an event it could not take. */
export interface Invalid {
  readonly id?: string;
  readonly type?: string;
  readonly source?: string;
  readonly errors: readonly ValidationError[];
}

export type Prepared =
  | { readonly ok: true; readonly entry: Entry; readonly event: RunlogEvent }
  | { readonly ok: false; readonly invalid: Invalid };

export interface PreparerOptions {
  readonly source?: string;
  readonly sourceseqStart?: (source: string) => number;
  /** Largest encoded event, read per event (the server's limit may become known later). */
  readonly maxEventBytes: () => number;
}

/** Families only runlog itself writes (docs/decisions.md D20). */
const NOT_FROM_PRODUCERS: Partial<Record<Family, string>> = {
  canonical: 'canonical events are written only by the normalizer',
  producer: 'producer events are written only by the sink itself',
};

/** An emitted event as `emit` captured it: stamped with `id` and `time`, not yet validated. */
export interface RawEntry {
  readonly seq: number;
  readonly id: string;
  readonly type: string | undefined;
  readonly family: Family | undefined;
  readonly source: string | undefined;
  /** A snapshot of what was emitted (later changes to the object do not reach it). */
  readonly json: string;
  readonly bytes: number;
}

export type Captured =
  { readonly ok: true; readonly raw: RawEntry } | { readonly ok: false; readonly invalid: Invalid };

/**
 * Turns what a producer emits into a buffered entry, in two steps. {@link capture} (in
 * `emit`, a few microseconds): fills `id` (a UUID) and `time` (now) and takes a JSON
 * snapshot. {@link prepare} (in the background, in emission order): fills `specversion`
 * and `source`, validates the envelope with the contracts' `decode` (the rules ingest
 * applies, the engine confidentiality rule included), stamps the next `sourceseq` of its
 * source and encodes it. An invalid event takes no `sourceseq`, so a source's sequence has
 * no hole that a gap event does not explain.
 */
export class EventPreparer {
  private readonly next = new Map<string, number>();

  constructor(private readonly options: PreparerOptions) {}

  capture(input: unknown, seq: number): Captured {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return refuse({}, [
        { path: '', code: 'invalid_type', message: 'an event must be an object' },
      ]);
    const given = input as Record<string, unknown>;
    const source = given['source'] ?? this.options.source;
    const id = given['id'] ?? randomUUID();
    const type = typeof given['type'] === 'string' ? given['type'] : undefined;
    const known = {
      ...(typeof id === 'string' ? { id } : {}),
      ...(type === undefined ? {} : { type }),
      ...(typeof source === 'string' ? { source } : {}),
    };
    if (given['sourceseq'] !== undefined)
      return refuse(known, [
        {
          path: 'sourceseq',
          code: 'invalid_value',
          message: 'the sink stamps sourceseq; leave it out',
        },
      ]);
    const parsed = type === undefined ? undefined : parseEventType(type);
    const family = parsed?.ok ? parsed.family : undefined;
    const forbidden = family === undefined ? undefined : NOT_FROM_PRODUCERS[family];
    if (forbidden)
      return refuse(known, [{ path: 'type', code: 'invalid_value', message: forbidden }]);
    if (typeof id !== 'string')
      return refuse(known, [{ path: 'id', code: 'invalid_type', message: 'id must be a string' }]);
    const time = given['time'] instanceof Date ? given['time'].toISOString() : given['time'];
    const { extensions, ...attributes } = given;
    const clash = extensionClash(extensions);
    if (clash !== undefined) return refuse(known, [clash]);
    let json: string;
    try {
      json = JSON.stringify({
        specversion: '1.0',
        ...(extensions as Record<string, unknown> | undefined),
        ...attributes,
        id,
        source,
        time: time ?? new Date().toISOString(),
      });
    } catch (error) {
      return refuse(known, [
        { path: '', code: 'invalid_type', message: `the event is not JSON: ${describe(error)}` },
      ]);
    }
    return {
      ok: true,
      raw: {
        seq,
        id,
        type,
        family,
        source: typeof source === 'string' ? source : undefined,
        json,
        bytes: Buffer.byteLength(json),
      },
    };
  }

  prepare(raw: RawEntry): Prepared {
    const known = {
      id: raw.id,
      ...(raw.type === undefined ? {} : { type: raw.type }),
      ...(raw.source === undefined ? {} : { source: raw.source }),
    };
    const sourceseq = raw.source === undefined ? 0 : this.peek(raw.source);
    const result = decode({ ...(JSON.parse(raw.json) as object), sourceseq });
    if (!result.ok) return refuse(known, result.errors);
    const encoded = this.encode(result.value, raw.seq);
    if (!encoded.ok) return refuse(known, encoded.errors);
    this.next.set(result.value.source, sourceseq + 1);
    return { ok: true, entry: encoded.value, event: result.value };
  }

  /**
   * The `sourceseq` a captured event would have had, spent on it as it is dropped unvalidated
   * (so the gap event covers it); `undefined` when it names no family or source (it would
   * have been invalid).
   */
  spend(raw: RawEntry): number | undefined {
    if (raw.source === undefined || raw.family === undefined) return undefined;
    const sourceseq = this.peek(raw.source);
    this.next.set(raw.source, sourceseq + 1);
    return sourceseq;
  }

  /** Encodes an event the sink made itself (a `producer.gap`), without a `sourceseq`. */
  encode(
    event: RunlogEvent,
    seq: number,
  ): { ok: true; value: Entry } | { ok: false; errors: ValidationError[] } {
    const body = JSON.stringify(encode(event));
    const bytes = Buffer.byteLength(body);
    const max = this.options.maxEventBytes();
    if (bytes > max)
      return {
        ok: false,
        errors: [
          {
            path: '',
            code: 'too_large',
            message: `the event is ${bytes} bytes encoded; at most ${max} fit in one message`,
          },
        ],
      };
    const key = keyOfSubjectAttribute(event.family, event.subject);
    if (key === undefined) throw new RangeError(`not a ${event.family} subject: ${event.subject}`);
    const tracing = traceContextHeaders(event.extensions);
    return {
      ok: true,
      value: {
        seq,
        id: event.id,
        type: eventType(event.family, event.kind),
        family: event.family,
        kind: event.kind,
        source: event.source,
        sourceseq: event.sourceseq,
        key,
        body,
        bytes,
        ...(tracing.length === 0 ? {} : { traceHeaders: tracing }),
        refusals: 0,
      },
    };
  }

  private peek(source: string): number {
    const known = this.next.get(source);
    if (known !== undefined) return known;
    const first = this.options.sourceseqStart?.(source) ?? 1;
    return Number.isSafeInteger(first) && first >= 0 ? first : 1;
  }
}

/** `extensions` must be an object whose names are not the envelope's own attributes. */
function extensionClash(extensions: unknown): ValidationError | undefined {
  if (extensions === undefined) return undefined;
  if (typeof extensions !== 'object' || extensions === null || Array.isArray(extensions))
    return { path: 'extensions', code: 'invalid_type', message: 'extensions must be an object' };
  const known: readonly string[] = ENVELOPE_ATTRIBUTES;
  const name = Object.keys(extensions).find((key) => known.includes(key));
  return name === undefined
    ? undefined
    : {
        path: `extensions.${name}`,
        code: 'invalid_value',
        message: `${name} is an envelope attribute, not an extension: set it as an event option`,
      };
}

function refuse(
  known: Omit<Invalid, 'errors'>,
  errors: readonly ValidationError[],
): { readonly ok: false; readonly invalid: Invalid } {
  return { ok: false, invalid: { ...known, errors } };
}
