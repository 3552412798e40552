import { IsDefined, IsString } from 'class-validator';
import {
  Cursor,
  Nested,
  NestedArray,
  Obj,
  OneOf,
  OptNested,
  OptStr,
  Str,
} from '../validation/fields';
import { KINDS, type KindOf } from '../families';
import { type KindSchema } from './schema';

export const RUN_TERMINATIONS = [
  'natural_end',
  'behavior_requested',
  'suspended',
  'cancelled',
  'error',
  'stopped',
  'blocked',
] as const;
export const TOOL_CALL_OUTCOMES = ['succeeded', 'failed', 'suspended'] as const;

/** Every agent event names its thread and run (both non-blank). */
export interface AgentRef {
  readonly thread_id: string;
  readonly run_id: string;
  /** Carried to the canonical facts of the event (decisions D16). */
  readonly correlation_id?: string;
}
/** Agent kinds whose payload DESIGN.md leaves open keep their extra fields (decisions D5). */
export type AgentOpen = AgentRef & { readonly [field: string]: unknown };
export interface RunStart extends AgentRef {
  readonly parent_run_id?: string;
}
export interface RunFinish extends AgentRef {
  readonly termination: (typeof RUN_TERMINATIONS)[number];
  readonly reason?: string;
}
export interface ToolCallDone extends AgentRef {
  readonly call_id: string;
  readonly outcome: (typeof TOOL_CALL_OUTCOMES)[number];
  readonly result: {
    readonly status: string;
    readonly metadata: { readonly [field: string]: unknown };
    readonly suspension?: {
      readonly resume_mode: string;
      readonly suspension: { readonly id: string };
    };
  };
}

export type AgentData = {
  readonly [K in KindOf<'agent'>]: K extends 'run_start'
    ? RunStart
    : K extends 'run_finish'
      ? RunFinish
      : K extends 'tool_call_done'
        ? ToolCallDone
        : AgentOpen;
};

export class AgentRefData {
  @Str() thread_id!: string;
  @Str() run_id!: string;
  @OptStr() correlation_id?: string;
}
export class RunStartData extends AgentRefData {
  @OptStr() parent_run_id?: string;
}
export class RunFinishData extends AgentRefData {
  @OneOf(RUN_TERMINATIONS) termination!: string;
  @OptStr() reason?: string;
}
export class SuspensionRefData {
  /** May be blank: a blank id only means no permission request (DESIGN.md §3 mapping). */
  @IsDefined({ message: '$property is required' }) @IsString() id!: string;
}
export class SuspensionData {
  @Str() resume_mode!: string;
  @Nested(() => SuspensionRefData) suspension!: SuspensionRefData;
}
export class ToolResultData {
  @Str() status!: string;
  @Obj() metadata!: object;
  @OptNested(() => SuspensionData) suspension?: SuspensionData;
}
export class ToolCallDoneData extends AgentRefData {
  @Str() call_id!: string;
  @OneOf(TOOL_CALL_OUTCOMES) outcome!: string;
  @Nested(() => ToolResultData) result!: ToolResultData;
}

export const AGENT_SCHEMAS = Object.fromEntries(
  KINDS.agent.map((kind): [string, KindSchema] => {
    if (kind === 'run_start') return [kind, { cls: RunStartData }];
    if (kind === 'run_finish') return [kind, { cls: RunFinishData }];
    if (kind === 'tool_call_done') return [kind, { cls: ToolCallDoneData }];
    return [kind, { cls: AgentRefData, open: true }];
  }),
) as { readonly [K in KindOf<'agent'>]: KindSchema };

// canonical ------------------------------------------------------------------------------

export const FIDELITIES = ['domain', 'committed_runtime', 'observed_runtime', 'control'] as const;
export type Fidelity = (typeof FIDELITIES)[number];
export const SCOPE_TYPES = ['thread', 'run'] as const;

/** A canonical fact written by the normalizer (DESIGN.md §3, canonical). */
export interface CanonicalFact<K extends string = KindOf<'canonical'>> {
  readonly kind: K;
  readonly fidelity: Fidelity;
  readonly scopes: readonly { readonly type: (typeof SCOPE_TYPES)[number]; readonly id: string }[];
  readonly visibility: string;
  readonly origin: string;
  readonly correlation_id?: string;
  /** Cursor of the raw agent event in RUNLOG_AGENT. */
  readonly source_cursor: string;
  readonly payload: { readonly [field: string]: unknown };
}
export type CanonicalData = { readonly [K in KindOf<'canonical'>]: CanonicalFact<K> };

export class ScopeData {
  @OneOf(SCOPE_TYPES) type!: string;
  @Str() id!: string;
}
export class CanonicalFactData {
  @Str() kind!: string;
  @OneOf(FIDELITIES) fidelity!: string;
  @NestedArray(() => ScopeData) scopes!: ScopeData[];
  @Str() visibility!: string;
  @Str() origin!: string;
  @OptStr() correlation_id?: string;
  @Cursor() source_cursor!: string;
  @Obj() payload!: object;
}

export const CANONICAL_SCHEMAS = Object.fromEntries(
  KINDS.canonical.map((kind): [string, KindSchema] => [kind, { cls: CanonicalFactData }]),
) as { readonly [K in KindOf<'canonical'>]: KindSchema };
