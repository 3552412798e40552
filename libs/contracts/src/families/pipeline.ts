import { At, Int, Str } from '../validation/fields';
import { type Instant, type KindSchema } from './schema';

export interface PipelineTransition {
  readonly node_id: string;
  readonly story_id: string;
  readonly from_stage: string;
  readonly to_stage: string;
  readonly pipeline_event: string;
  /** Per node, contiguous from 0. */
  readonly event_seq: number;
  readonly at: Instant;
}
/** Logical ids `from_id..to_id` of a node were dropped: recorded, never silent. */
export interface PipelineGap {
  readonly node_id: string;
  readonly from_id: number;
  readonly to_id: number;
}
export interface PipelineData {
  transition: PipelineTransition;
  gap: PipelineGap;
}

export class PipelineTransitionData {
  @Str() node_id!: string;
  @Str() story_id!: string;
  @Str() from_stage!: string;
  @Str() to_stage!: string;
  @Str() pipeline_event!: string;
  @Int(0) event_seq!: number;
  @At() at!: Instant;
}
export class PipelineGapData {
  @Str() node_id!: string;
  @Int(0) from_id!: number;
  @Int(0) to_id!: number;
}

export const PIPELINE_SCHEMAS: { readonly [K in keyof PipelineData]: KindSchema } = {
  transition: { cls: PipelineTransitionData },
  gap: { cls: PipelineGapData },
};
