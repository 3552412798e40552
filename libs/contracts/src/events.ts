import { type Extensions } from './extensions';
import { type Family, type KindOf } from './families';
import { type AgentData, type CanonicalData } from './families/agent';
import { type EngineData } from './families/engine';
import {
  type CompletionData,
  type InstanceTagsData,
  type LeaseHistoryData,
  type SignalDeliveryData,
} from './families/execution';
import { type PipelineData } from './families/pipeline';
import { type ProducerData } from './families/producer';
import { type TraceData } from './families/trace';

/** The decoded `data` of every family and kind (DESIGN.md §3). */
export interface FamilyData {
  engine: EngineData;
  lease_history: LeaseHistoryData;
  completion: CompletionData;
  signal_delivery: SignalDeliveryData;
  instance_tags: InstanceTagsData;
  trace: TraceData;
  pipeline: PipelineData;
  agent: AgentData;
  canonical: CanonicalData;
  producer: ProducerData;
}

/** The decoded `data` of one kind. */
export type DataOf<F extends Family, K extends KindOf<F>> = FamilyData[F][K & keyof FamilyData[F]];

/** One typed event of family `F` and kind `K`. */
export interface TypedEvent<F extends Family, K extends KindOf<F>> {
  readonly family: F;
  readonly kind: K;
  readonly id: string;
  readonly source: string;
  /** RFC 3339; filled with the receive time when the producer left it out. */
  readonly time: string;
  /** The partition key as it appears in the subject (derived from `data` when absent). */
  readonly subject: string;
  readonly sourceseq?: number;
  /** The CloudEvents `dataschema`, an absolute URI; absent when the producer sent none. */
  readonly dataschema?: string;
  /**
   * The CloudEvents extension attributes the producer sent (`traceparent`, `tenant`, ...),
   * by name; absent when it sent none. Binary mode's `ce-<name>` headers arrive as strings.
   */
  readonly extensions?: Extensions;
  readonly data: DataOf<F, K>;
}

/**
 * A typed event: a readonly discriminated union on `family`, then `kind`.
 * `RunlogEvent<'trace'>` is every trace event; `RunlogEvent` is every event.
 */
export type RunlogEvent<F extends Family = Family> = F extends Family
  ? { [K in KindOf<F>]: TypedEvent<F, K> }[KindOf<F>]
  : never;

/** An event as a consumer receives it: the event plus its cursor in the family stream (DESIGN.md §2). */
export type DeliveredEvent<F extends Family = Family> = RunlogEvent<F> & {
  /** The JetStream stream sequence in the family stream, as a decimal string. */
  readonly cursor: string;
};
