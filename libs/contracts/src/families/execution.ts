import { At, OptId, OptStr, Str } from '../validation/fields';
import { type Instant, type KindSchema, type OpenEnum } from './schema';

// The families keyed by `execution_id`: lease_history, completion, signal_delivery,
// instance_tags (DESIGN.md §3).

export interface LeaseAcquired {
  readonly execution_id: string;
  readonly lease_id?: string;
  readonly worker_instance_id?: string;
  readonly at: Instant;
}
export type LeaseRenewed = LeaseAcquired;
export interface LeaseExpired {
  readonly execution_id: string;
  readonly lease_id?: string;
  readonly prev_owner?: string;
  readonly at: Instant;
}
export interface LeaseReclaimed {
  readonly execution_id: string;
  readonly new_lease_id?: string;
  readonly new_owner?: string;
  readonly at: Instant;
}
/** Known `revoked_by` values; any other non-blank string is kept as is. */
export const REVOKED_BY = ['operator', 'reconciler', 'backend'] as const;
export interface LeaseRevoked {
  readonly execution_id: string;
  readonly lease_id?: string;
  readonly revoked_by: (typeof REVOKED_BY)[number] | (string & {});
  readonly at: Instant;
}
export interface LeaseHistoryData {
  acquired: LeaseAcquired;
  renewed: LeaseRenewed;
  expired: LeaseExpired;
  reclaimed: LeaseReclaimed;
  revoked: LeaseRevoked;
}

export const COMPLETION_OUTCOMES = ['success', 'failure', 'cancelled'] as const;
export type CompletionOutcome = OpenEnum<(typeof COMPLETION_OUTCOMES)[number]>;
export interface Completed {
  readonly execution_id: string;
  /** Unknown outcomes decode to `{other: raw}`; never an error. */
  readonly outcome: CompletionOutcome;
  readonly at: Instant;
}
export interface CompletionData {
  completed: Completed;
}

export const SIGNAL_EFFECTS = ['satisfied', 'buffered', 'deduped'] as const;
export type SignalEffect = OpenEnum<(typeof SIGNAL_EFFECTS)[number]>;
export interface SignalDelivered {
  readonly execution_id: string;
  readonly signal_id: string;
  readonly waitpoint_id?: string;
  readonly source_identity?: string;
  /** Unknown effects decode to `{other: raw}`. */
  readonly effect: SignalEffect;
  readonly at: Instant;
}
export interface SignalDeliveryData {
  delivered: SignalDelivered;
}

export interface InstanceTag {
  readonly execution_id: string;
  readonly tag: string;
  readonly at: Instant;
}
export interface InstanceTagsData {
  attached: InstanceTag;
  cleared: InstanceTag;
}

class ExecutionEvent {
  @Str() execution_id!: string;
  @At() at!: Instant;
}
export class LeaseAcquiredData extends ExecutionEvent {
  @OptStr() lease_id?: string;
  @OptId() worker_instance_id?: string;
}
export class LeaseExpiredData extends ExecutionEvent {
  @OptStr() lease_id?: string;
  @OptStr() prev_owner?: string;
}
export class LeaseReclaimedData extends ExecutionEvent {
  @OptStr() new_lease_id?: string;
  @OptId() new_owner?: string;
}
export class LeaseRevokedData extends ExecutionEvent {
  @OptStr() lease_id?: string;
  @Str() revoked_by!: string;
}
/** `outcome` is any non-blank string here; `decode` maps unknown ones to `{other}`. */
export class CompletedData extends ExecutionEvent {
  @Str() outcome!: string;
}
export class SignalDeliveredData extends ExecutionEvent {
  @Str() signal_id!: string;
  @OptStr() waitpoint_id?: string;
  @OptStr() source_identity?: string;
  @Str() effect!: string;
}
export class InstanceTagData extends ExecutionEvent {
  @Str() tag!: string;
}

export const LEASE_HISTORY_SCHEMAS: { readonly [K in keyof LeaseHistoryData]: KindSchema } = {
  acquired: { cls: LeaseAcquiredData },
  renewed: { cls: LeaseAcquiredData },
  expired: { cls: LeaseExpiredData },
  reclaimed: { cls: LeaseReclaimedData },
  revoked: { cls: LeaseRevokedData },
};
export const COMPLETION_SCHEMAS: { readonly [K in keyof CompletionData]: KindSchema } = {
  completed: { cls: CompletedData },
};
export const SIGNAL_DELIVERY_SCHEMAS: { readonly [K in keyof SignalDeliveryData]: KindSchema } = {
  delivered: { cls: SignalDeliveredData },
};
export const INSTANCE_TAGS_SCHEMAS: { readonly [K in keyof InstanceTagsData]: KindSchema } = {
  attached: { cls: InstanceTagData },
  cleared: { cls: InstanceTagData },
};
