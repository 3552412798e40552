import { Any, At, Id, Int, Num, Obj, OneOf, OptId, Str, Strings } from '../validation/fields';
import { type Instant, type KindSchema } from './schema';

export const OP_END_STATUSES = ['ok', 'error', 'cancelled'] as const;
export const GROUP_END_STATUSES = ['ok', 'truncated'] as const;

export interface OpStartPayload {
  readonly inputs: unknown;
}
export interface OpEndPayload {
  readonly outputs: unknown;
  readonly status: (typeof OP_END_STATUSES)[number];
  readonly duration_ms: number;
  readonly yield_count: number;
}
export interface OpYieldPayload {
  readonly yielded: unknown;
  readonly idx: number;
}
export interface AnnotationPayload {
  readonly key: string;
  readonly value: unknown;
}
export interface GroupStartPayload {
  readonly name: string;
  readonly [extra: string]: unknown;
}
export interface GroupEndPayload {
  readonly name: string;
  readonly status: (typeof GROUP_END_STATUSES)[number];
}
/** Must precede the matching `op_end`. */
export interface LlmUsagePayload {
  readonly model: string;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
}
/** A reference only: bytes never travel in events. */
export interface MediaRefPayload {
  readonly handle: string;
  readonly mime: string;
  readonly size_bytes: number;
}

/** The common shape of every trace event; ordering is `(timestamp, seq)`, `event_id` dedupes. */
export interface TraceEvent<P> {
  readonly event_id: string;
  readonly request_id: string;
  /** Absent only for group markers. */
  readonly op_name?: string;
  /** The scheduler context path, e.g. `["main", "yield_0"]`. */
  readonly ctx: readonly string[];
  readonly timestamp: Instant;
  readonly seq: number;
  readonly payload: P;
}
/** An operation's event: it always names its op (the class requires `op_name`, decisions D51). */
export type TraceOpEvent<P> = TraceEvent<P> & { readonly op_name: string };

export interface TraceData {
  op_start: TraceOpEvent<OpStartPayload>;
  op_end: TraceOpEvent<OpEndPayload>;
  op_yield: TraceOpEvent<OpYieldPayload>;
  annotation: TraceOpEvent<AnnotationPayload>;
  group_start: TraceEvent<GroupStartPayload>;
  group_end: TraceEvent<GroupEndPayload>;
  llm_usage: TraceOpEvent<LlmUsagePayload>;
  media_ref: TraceOpEvent<MediaRefPayload>;
}

class TraceBase {
  @Id() event_id!: string;
  @Str() request_id!: string;
  @Strings() ctx!: string[];
  @At() timestamp!: Instant;
  @Int(0) seq!: number;
  @Obj() payload!: object;
}
export class OpEventData extends TraceBase {
  @Id() op_name!: string;
}
export class GroupEventData extends TraceBase {
  @OptId() op_name?: string;
}

export class OpStartPayloadData {
  @Any() inputs!: unknown;
}
export class OpEndPayloadData {
  @Any() outputs!: unknown;
  @OneOf(OP_END_STATUSES) status!: string;
  @Num(0) duration_ms!: number;
  @Int(0) yield_count!: number;
}
export class OpYieldPayloadData {
  @Any() yielded!: unknown;
  @Int(0) idx!: number;
}
export class AnnotationPayloadData {
  @Str() key!: string;
  @Any() value!: unknown;
}
export class GroupStartPayloadData {
  @Str() name!: string;
}
export class GroupEndPayloadData {
  @Str() name!: string;
  @OneOf(GROUP_END_STATUSES) status!: string;
}
export class LlmUsagePayloadData {
  @Id() model!: string;
  @Int(0) prompt_tokens!: number;
  @Int(0) completion_tokens!: number;
  @Int(0) total_tokens!: number;
  @Num(0) cost_usd!: number;
}
export class MediaRefPayloadData {
  @Str() handle!: string;
  @Str() mime!: string;
  @Int(0) size_bytes!: number;
}

const op = (payload: new () => object): KindSchema => ({
  cls: OpEventData,
  payload: { cls: payload },
});

export const TRACE_SCHEMAS: { readonly [K in keyof TraceData]: KindSchema } = {
  op_start: op(OpStartPayloadData),
  op_end: op(OpEndPayloadData),
  op_yield: op(OpYieldPayloadData),
  annotation: op(AnnotationPayloadData),
  group_start: { cls: GroupEventData, payload: { cls: GroupStartPayloadData, open: true } },
  group_end: { cls: GroupEventData, payload: { cls: GroupEndPayloadData } },
  llm_usage: op(LlmUsagePayloadData),
  media_ref: op(MediaRefPayloadData),
};
