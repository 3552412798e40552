/**
 * The event families of DESIGN.md §3: one JetStream stream each.
 * Wire names are literals; nothing here is derived from class names.
 */
export const FAMILIES = [
  'engine',
  'lease_history',
  'completion',
  'signal_delivery',
  'instance_tags',
  'trace',
  'pipeline',
  'agent',
  'canonical',
  'producer',
] as const;

/** A family name as it appears in subjects and `type` (`runlog.<family>.<kind>`). */
export type Family = (typeof FAMILIES)[number];

/** The kinds of every family (DESIGN.md §3). Canonical kinds are PascalCase facts. */
export const KINDS = {
  engine: [
    'engine_started',
    'model_loaded',
    'warm_up_complete',
    'request_served',
    'engine_error',
    'engine_stopping',
  ],
  lease_history: ['acquired', 'renewed', 'expired', 'reclaimed', 'revoked'],
  completion: ['completed'],
  signal_delivery: ['delivered'],
  instance_tags: ['attached', 'cleared'],
  trace: [
    'op_start',
    'op_end',
    'op_yield',
    'annotation',
    'group_start',
    'group_end',
    'llm_usage',
    'media_ref',
  ],
  pipeline: ['transition', 'gap'],
  agent: [
    'run_start',
    'run_finish',
    'text_delta',
    'reasoning_delta',
    'reasoning_encrypted_value',
    'tool_call_start',
    'tool_call_delta',
    'tool_call_ready',
    'tool_call_done',
    'tool_call_stream_delta',
    'tool_call_resumed',
    'tool_call_cancel',
    'stream_reset',
    'step_start',
    'step_end',
    'inference_complete',
    'messages_snapshot',
    'activity_snapshot',
    'activity_delta',
    'state_snapshot',
    'state_delta',
    'error',
  ],
  canonical: [
    'RunStarted',
    'RunResumed',
    'RunFinished',
    'RunSuspended',
    'RunCancelled',
    'RunErrored',
    'RunTerminated',
    'TextDeltaObserved',
    'ReasoningDeltaObserved',
    'ReasoningEncryptedValueObserved',
    'ToolCallStarted',
    'ToolCallDeltaObserved',
    'ToolCallStreamDeltaObserved',
    'ToolCallReady',
    'ToolCallSuspended',
    'ToolCallRejected',
    'ToolCallTimedOut',
    'ToolCallDone',
    'ToolPermissionRequested',
    'ToolCallResumed',
    'ToolCallCancelled',
    'StreamReset',
    'InferenceComplete',
    'ErrorRecorded',
    'StepStarted',
    'StepEnded',
    'MessagesSnapshotObserved',
    'ActivitySnapshotObserved',
    'ActivityDeltaObserved',
    'StateSnapshotObserved',
    'StateDeltaObserved',
  ],
  producer: ['gap'],
} as const satisfies Record<Family, readonly string[]>;

/** The kinds of one family. */
export type KindOf<F extends Family> = (typeof KINDS)[F][number];

/** Engine kinds that are published live only and never stored (DESIGN.md §3, engine). */
export const ENGINE_LIVE_ONLY_KINDS = [
  'engine_started',
  'model_loaded',
  'warm_up_complete',
  'engine_error',
  'engine_stopping',
] as const satisfies readonly KindOf<'engine'>[];

export function isFamily(value: string): value is Family {
  return (FAMILIES as readonly string[]).includes(value);
}

export function isKindOf<F extends Family>(family: F, kind: string): kind is KindOf<F> {
  return (KINDS[family] as readonly string[]).includes(kind);
}

/** `runlog.<family>.<kind>`: the CloudEvents `type` of an event. */
export function eventType<F extends Family, K extends KindOf<F>>(
  family: F,
  kind: K,
): `runlog.${F}.${K}` {
  return `runlog.${family}.${kind}`;
}

export type ParsedType =
  | { readonly ok: true; readonly family: Family; readonly kind: string }
  | { readonly ok: false; readonly code: 'invalid_format' | 'unknown_family' | 'unknown_kind' };

/** Splits a CloudEvents `type` into family and kind, checking both against DESIGN.md §3. */
export function parseEventType(type: string): ParsedType {
  const match = /^runlog\.([a-z_]+)\.([A-Za-z_]+)$/.exec(type);
  if (!match) return { ok: false, code: 'invalid_format' };
  const [, family = '', kind = ''] = match;
  if (!isFamily(family)) return { ok: false, code: 'unknown_family' };
  if (!isKindOf(family, kind)) return { ok: false, code: 'unknown_kind' };
  return { ok: true, family, kind };
}
