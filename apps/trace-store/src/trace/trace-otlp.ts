import { createHash } from 'node:crypto';
import { type Attributes, type AttributeValue, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { millisToHrTime, hrTimeDuration } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import { type TraceNode, type TraceTree } from './trace-tree';

// A stored trace as OTLP (D53): each span and group of the tree becomes a ReadableSpan and
// the official JSON serializer writes the ExportTraceServiceRequest. Pure: no NestJS or SQL.

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const SCOPE = { name: 'runlog trace-store' };

/** The trace id of a request: itself when it is 32 hex digits (an OTLP trace), else hashed. */
export function otlpTraceId(requestId: string): string {
  return HEX32.test(requestId) ? requestId : digest(requestId).slice(0, 32);
}

/** The trace as an OTLP JSON ExportTraceServiceRequest (bytes of UTF-8 JSON). */
export function traceToOtlpJson(tree: TraceTree): Uint8Array {
  const bytes = JsonTraceSerializer.serializeRequest(traceToSpans(tree));
  if (bytes === undefined) throw new Error('the OTLP serializer wrote nothing');
  return bytes;
}

/** Every node of the tree as a ReadableSpan, parents before their children. */
export function traceToSpans(tree: TraceTree): ReadableSpan[] {
  const traceId = otlpTraceId(tree.request_id);
  const resource = resourceFromAttributes({
    'service.name': 'runlog',
    'runlog.request_id': tree.request_id,
    ...(tree.truncated ? { 'runlog.truncated': true } : {}),
  });
  const spans: ReadableSpan[] = [];
  const used = new Set<string>();
  const visit = (node: TraceNode, parentId: string | undefined, path: string): void => {
    const spanId = spanIdOf(node, path, used);
    spans.push(toSpan(node, traceId, spanId, parentId, resource, tree.ended_at));
    node.children.forEach((child, i) => visit(child, spanId, `${path}.${i}`));
  };
  tree.roots.forEach((root, i) => visit(root, undefined, String(i)));
  return spans;
}

/** An OTLP span's own id when runlog has it (ctx `[span id]`, D40), else one made from the path. */
function spanIdOf(node: TraceNode, path: string, used: Set<string>): string {
  const own = node.type === 'op' && node.ctx.length === 1 ? node.ctx[0] : undefined;
  let id = own !== undefined && HEX16.test(own) && !used.has(own) ? own : undefined;
  for (let n = 0; id === undefined || used.has(id); n += 1)
    id = digest(`${path}\u0000${node.name}\u0000${n}`).slice(0, 16);
  used.add(id);
  return id;
}

function toSpan(
  node: TraceNode,
  traceId: string,
  spanId: string,
  parentId: string | undefined,
  resource: ReadableSpan['resource'],
  traceEnd: string,
): ReadableSpan {
  const startTime = millisToHrTime(Date.parse(node.started_at));
  const endTime = millisToHrTime(Date.parse(node.ended_at ?? traceEnd));
  const attributes: Attributes = {};
  const events: TimedEvent[] = [];
  for (const { key, value } of node.annotations) {
    if (key.startsWith('resource.')) continue; // the span's resource, not kept per span
    if (key.startsWith('event.') && typeof value === 'object' && value !== null) {
      events.push({ name: key.slice(6), time: startTime, attributes: eventAttributes(value) });
    } else attributes[key] = attributeValue(value);
  }
  if (node.type === 'group') attributes['runlog.type'] = 'group';
  if (node.status !== 'ok' && node.status !== 'error') attributes['runlog.status'] = node.status;
  for (const media of node.media)
    events.push({ name: 'runlog.media', time: startTime, attributes: { ...media } });
  if (node.usage !== null) {
    attributes['gen_ai.usage.input_tokens'] = node.usage.prompt_tokens;
    attributes['gen_ai.usage.output_tokens'] = node.usage.completion_tokens;
    attributes['runlog.cost_usd'] = node.usage.cost_usd;
    attributes['runlog.llm_calls'] = node.usage.calls;
  }
  const context = { traceId, spanId, traceFlags: 1 };
  return {
    name: node.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => context,
    ...(parentId === undefined
      ? {}
      : { parentSpanContext: { traceId, spanId: parentId, traceFlags: 1 } }),
    startTime,
    endTime,
    status:
      node.status === 'error' ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.UNSET },
    attributes,
    links: [],
    events,
    duration: hrTimeDuration(startTime, endTime),
    ended: node.ended_at !== null,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** A string, number or boolean as it is, a homogeneous list as a list, anything else as JSON. */
function attributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  if (Array.isArray(value) && value.length > 0) {
    const type = typeof value[0];
    if (
      (type === 'string' || type === 'number' || type === 'boolean') &&
      value.every((v) => typeof v === type)
    )
      return value as AttributeValue;
  }
  return JSON.stringify(value) ?? 'null';
}

function eventAttributes(value: object): Attributes {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, attributeValue(v)]));
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
