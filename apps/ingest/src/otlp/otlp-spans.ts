import { subjectAttribute } from '@runlog/contracts';

// OTLP ExportTraceServiceRequest (JSON encoding, or protobuf decoded to the same shape) to
// runlog trace-family CloudEvents (docs/decisions.md D39-D41). Pure: no NestJS or NATS.

/** The CloudEvents of one span, validated and published together (one span, one verdict). */
export interface SpanEvents {
  readonly traceId: string;
  readonly spanId: string;
  readonly events: readonly Record<string, unknown>[];
  /** GenAI content attributes and events dropped from this span (D41). */
  readonly droppedContent: number;
}

/** The spans of a request, and the ones refused before validation with why. */
export interface MappedRequest {
  readonly spans: readonly SpanEvents[];
  readonly refused: readonly string[];
}

/** The body is not an ExportTraceServiceRequest at all (400). */
export class OtlpShapeError extends Error {}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** GenAI content (prompts, completions, messages): dropped and counted, never stored (D41). */
export function isGenAiContent(key: string): boolean {
  return (
    /^gen_ai\.(prompt|completion)(\.|$)/.test(key) ||
    /^gen_ai\.(input|output)\.messages$/.test(key) ||
    key === 'gen_ai.system_instructions' ||
    /^gen_ai\.content\./.test(key) ||
    /^gen_ai\.(system|user|assistant|tool)\.message$/.test(key) ||
    key === 'gen_ai.choice'
  );
}

/** A trace or span id as lower-case hex: the JSON encoding's hex string or protobuf bytes. */
export function hexId(value: unknown): string {
  if (typeof value === 'string') return value.toLowerCase();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return '';
}

/** Unix nanoseconds (string, number or a Long-like) as epoch milliseconds, fractional. */
export function nanosToMs(value: unknown): number {
  if (typeof value === 'number') return value / 1e6;
  if (typeof value === 'bigint') return Number(value) / 1e6;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(BigInt(value)) / 1e6;
  if (isObject(value) && typeof value['low'] === 'number' && typeof value['high'] === 'number') {
    const big = (BigInt(value['high'] >>> 0) << 32n) | BigInt(value['low'] >>> 0);
    return Number(big) / 1e6;
  }
  return Number.NaN;
}

/** An OTLP AnyValue as plain JSON. */
export function anyValue(value: unknown): unknown {
  if (!isObject(value)) return null;
  if ('stringValue' in value) return value['stringValue'];
  if ('boolValue' in value) return value['boolValue'];
  if ('intValue' in value) {
    const n = value['intValue'];
    if (typeof n === 'number' || typeof n === 'string') return Number(n);
    return nanosToMs(n) * 1e6;
  }
  if ('doubleValue' in value) return Number(value['doubleValue']);
  if ('bytesValue' in value) {
    const bytes = value['bytesValue'];
    return bytes instanceof Uint8Array ? Buffer.from(bytes).toString('base64') : bytes;
  }
  if ('arrayValue' in value) {
    const array = value['arrayValue'];
    return list(isObject(array) ? array['values'] : undefined).map(anyValue);
  }
  if ('kvlistValue' in value) {
    const kv = value['kvlistValue'];
    return attributes(isObject(kv) ? kv['values'] : undefined);
  }
  return null;
}

/** OTLP KeyValue[] as an object, in order. */
export function attributes(value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list(value)) {
    if (isObject(kv) && typeof kv['key'] === 'string') out[kv['key']] = anyValue(kv['value']);
  }
  return out;
}

const STATUS_ERROR = new Set<unknown>([2, '2', 'STATUS_CODE_ERROR']);
const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function spanKind(value: unknown): string {
  if (typeof value === 'number') return SPAN_KINDS[value] ?? 'unspecified';
  if (typeof value === 'string') return value.replace(/^SPAN_KIND_/, '').toLowerCase();
  return 'unspecified';
}

const tokens = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

/** What the mapping needs besides the spans. */
export interface MapOptions {
  /** Cost in USD of a usage, or undefined when the model has no price (D40). */
  readonly price: (model: string, input: number, output: number) => number | undefined;
}

/**
 * Maps a decoded request. Throws OtlpShapeError when `resourceSpans` is not an array; a
 * span without a valid trace id, span id or times is refused (counted, with a reason).
 */
export function mapTraceRequest(body: unknown, options: MapOptions): MappedRequest {
  if (!isObject(body)) throw new OtlpShapeError('the body is not an ExportTraceServiceRequest');
  const resourceSpans = body['resourceSpans'] ?? body['resource_spans'];
  if (resourceSpans !== undefined && !Array.isArray(resourceSpans))
    throw new OtlpShapeError('resourceSpans must be an array');
  const spans: SpanEvents[] = [];
  const refused: string[] = [];
  for (const rs of list(resourceSpans)) {
    if (!isObject(rs)) continue;
    const resource = isObject(rs['resource']) ? attributes(rs['resource']['attributes']) : {};
    for (const ss of list(rs['scopeSpans'] ?? rs['scope_spans'])) {
      if (!isObject(ss)) continue;
      const scope = isObject(ss['scope']) ? ss['scope'] : {};
      const scopeName = typeof scope['name'] === 'string' ? scope['name'] : undefined;
      for (const span of list(ss['spans'])) {
        const mapped = mapSpan(span, resource, scopeName, options);
        if (typeof mapped === 'string') refused.push(mapped);
        else spans.push(mapped);
      }
    }
  }
  return { spans, refused };
}

function mapSpan(
  span: unknown,
  resource: Record<string, unknown>,
  scope: string | undefined,
  options: MapOptions,
): SpanEvents | string {
  if (!isObject(span)) return 'a span is not an object';
  const traceId = hexId(span['traceId'] ?? span['trace_id']);
  const spanId = hexId(span['spanId'] ?? span['span_id']);
  const parent = hexId(span['parentSpanId'] ?? span['parent_span_id']);
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId))
    return `span ${spanId || '?'}: traceId must be 32 hex digits, not all zero`;
  if (!/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(spanId))
    return `span of trace ${traceId}: spanId must be 16 hex digits, not all zero`;
  const startMs = nanosToMs(span['startTimeUnixNano'] ?? span['start_time_unix_nano']);
  const endMs = nanosToMs(span['endTimeUnixNano'] ?? span['end_time_unix_nano']);
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs < startMs || startMs <= 0)
    return `span ${spanId}: startTimeUnixNano and endTimeUnixNano must be times, end not before start`;
  const name =
    typeof span['name'] === 'string' && span['name'].trim() !== '' ? span['name'] : 'span';
  const status = isObject(span['status']) ? span['status'] : {};
  const error = STATUS_ERROR.has(status['code']);
  const statusMessage = typeof status['message'] === 'string' ? status['message'] : undefined;
  const attrs = attributes(span['attributes']);

  let dropped = 0;
  const events: Record<string, unknown>[] = [];
  const ctx = [spanId];
  let seq = 0;
  const at = (ms: number): string => new Date(Math.floor(ms)).toISOString();
  const event = (kind: string, suffix: string, ms: number, payload: unknown): void => {
    const data = {
      event_id: `${traceId}-${spanId}-${suffix}`,
      request_id: traceId,
      op_name: name,
      ctx,
      timestamp: at(ms),
      seq: seq++,
      payload,
    };
    events.push({
      specversion: '1.0',
      id: data.event_id,
      source: 'runlog/otlp',
      type: `runlog.trace.${kind}`,
      time: data.timestamp,
      subject: subjectAttribute(traceId),
      datacontenttype: 'application/json',
      data,
    });
  };

  event('op_start', 'start', startMs, {
    inputs: {
      otel: {
        span_id: spanId,
        parent_span_id: parent === '' || /^0+$/.test(parent) ? null : parent,
        kind: spanKind(span['kind']),
        ...(scope === undefined ? {} : { scope }),
      },
    },
  });
  let n = 0;
  for (const [key, value] of Object.entries(resource)) {
    event('annotation', `r${n++}`, startMs, { key: `resource.${key}`, value });
  }
  n = 0;
  for (const [key, value] of Object.entries(attrs)) {
    if (isGenAiContent(key)) {
      dropped += 1;
      continue;
    }
    event('annotation', `a${n++}`, startMs, { key, value });
  }
  n = 0;
  for (const spanEvent of list(span['events'])) {
    if (!isObject(spanEvent)) continue;
    const eventName = typeof spanEvent['name'] === 'string' ? spanEvent['name'] : 'event';
    if (isGenAiContent(eventName)) {
      dropped += 1;
      continue;
    }
    const eventAttrs = Object.fromEntries(
      Object.entries(attributes(spanEvent['attributes'])).filter(([key]) => {
        const content = isGenAiContent(key);
        if (content) dropped += 1;
        return !content;
      }),
    );
    const ms = nanosToMs(spanEvent['timeUnixNano'] ?? spanEvent['time_unix_nano']);
    const when = Number.isFinite(ms) ? Math.min(Math.max(ms, startMs), endMs) : startMs;
    event('annotation', `e${n++}`, when, {
      key: `event.${eventName}`,
      value: eventAttrs,
    });
  }
  const input = tokens(attrs['gen_ai.usage.input_tokens']);
  const output = tokens(attrs['gen_ai.usage.output_tokens']);
  const model = attrs['gen_ai.response.model'] ?? attrs['gen_ai.request.model'];
  if (input !== undefined && output !== undefined && typeof model === 'string' && model !== '') {
    const cost = options.price(model, input, output);
    if (cost === undefined) {
      event('annotation', 'unpriced', endMs, { key: 'runlog.cost_unknown', value: model });
    }
    event('llm_usage', 'usage', endMs, {
      model,
      prompt_tokens: input,
      completion_tokens: output,
      total_tokens: input + output,
      cost_usd: cost ?? 0,
    });
  }
  if (dropped > 0) {
    event('annotation', 'dropped', startMs, { key: 'runlog.dropped_content', value: dropped });
  }
  event('op_end', 'end', endMs, {
    outputs: statusMessage === undefined ? null : { status_message: statusMessage },
    status: error ? 'error' : 'ok',
    duration_ms: endMs - startMs,
    yield_count: 0,
  });
  return { traceId, spanId, events, droppedContent: dropped };
}
