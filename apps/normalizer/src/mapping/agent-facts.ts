import {
  type Fidelity,
  type KindOf,
  type RUN_TERMINATIONS,
  type RunlogEvent,
  type ToolCallDone,
} from '@runlog/contracts';
import { finishRun, type RunState, startRun } from './run-state';

/** One canonical fact a raw agent event stands for, before envelope and durability. */
export interface Fact {
  readonly kind: KindOf<'canonical'>;
  readonly fidelity: Fidelity;
}

type FixedKind = Exclude<KindOf<'agent'>, 'run_start' | 'run_finish' | 'tool_call_done'>;

/** The rows of the DESIGN.md §3 table whose canonical kind depends on the agent kind alone. */
export const FIXED_FACTS = {
  text_delta: { kind: 'TextDeltaObserved', fidelity: 'observed_runtime' },
  reasoning_delta: { kind: 'ReasoningDeltaObserved', fidelity: 'observed_runtime' },
  reasoning_encrypted_value: {
    kind: 'ReasoningEncryptedValueObserved',
    fidelity: 'observed_runtime',
  },
  tool_call_start: { kind: 'ToolCallStarted', fidelity: 'observed_runtime' },
  tool_call_delta: { kind: 'ToolCallDeltaObserved', fidelity: 'observed_runtime' },
  tool_call_stream_delta: { kind: 'ToolCallStreamDeltaObserved', fidelity: 'observed_runtime' },
  tool_call_ready: { kind: 'ToolCallReady', fidelity: 'committed_runtime' },
  tool_call_resumed: { kind: 'ToolCallResumed', fidelity: 'control' },
  tool_call_cancel: { kind: 'ToolCallCancelled', fidelity: 'domain' },
  stream_reset: { kind: 'StreamReset', fidelity: 'committed_runtime' },
  inference_complete: { kind: 'InferenceComplete', fidelity: 'committed_runtime' },
  error: { kind: 'ErrorRecorded', fidelity: 'committed_runtime' },
  step_start: { kind: 'StepStarted', fidelity: 'observed_runtime' },
  step_end: { kind: 'StepEnded', fidelity: 'observed_runtime' },
  messages_snapshot: { kind: 'MessagesSnapshotObserved', fidelity: 'observed_runtime' },
  activity_snapshot: { kind: 'ActivitySnapshotObserved', fidelity: 'observed_runtime' },
  activity_delta: { kind: 'ActivityDeltaObserved', fidelity: 'observed_runtime' },
  state_snapshot: { kind: 'StateSnapshotObserved', fidelity: 'observed_runtime' },
  state_delta: { kind: 'StateDeltaObserved', fidelity: 'observed_runtime' },
} as const satisfies { readonly [K in FixedKind]: Fact };

/** run_finish: the canonical kind of each termination. */
export const FINISH_KINDS = {
  natural_end: 'RunFinished',
  behavior_requested: 'RunFinished',
  suspended: 'RunSuspended',
  cancelled: 'RunCancelled',
  error: 'RunErrored',
  stopped: 'RunTerminated',
  blocked: 'RunTerminated',
} as const satisfies {
  readonly [T in (typeof RUN_TERMINATIONS)[number]]: KindOf<'canonical'>;
};

/** The facts of one raw event and the run state after it; `by` is its `<stream>:<cursor>`. */
export function factsOf(
  event: RunlogEvent<'agent'>,
  state: RunState,
  by: string,
): { readonly facts: readonly Fact[]; readonly state: RunState } {
  switch (event.kind) {
    case 'run_start': {
      const start = startRun(state, by);
      return { facts: [{ kind: start.kind, fidelity: 'domain' }], state: start.state };
    }
    case 'run_finish': {
      const termination = event.data.termination;
      const kind = known(FINISH_KINDS, termination, 'run_finish termination');
      const finish = finishRun(state, by, termination === 'suspended');
      return { facts: finish.counts ? [{ kind, fidelity: 'domain' }] : [], state: finish.state };
    }
    case 'tool_call_done':
      return { facts: toolCallDoneFacts(event.data), state };
    default:
      return { facts: [known(FIXED_FACTS, event.kind, 'agent kind')], state };
  }
}

/**
 * tool_call_done: suspended, rejected and timed-out calls are domain facts; any other
 * completion (succeeded, or failed for another reason) is a committed ToolCallDone. A
 * suspension that waits for a permission to replay the call also requests it.
 */
export function toolCallDoneFacts(data: ToolCallDone): readonly Fact[] {
  const metadata = data.result.metadata;
  if (data.outcome === 'suspended') {
    const suspended: Fact = { kind: 'ToolCallSuspended', fidelity: 'domain' };
    return requestsPermission(data)
      ? [suspended, { kind: 'ToolPermissionRequested', fidelity: 'domain' }]
      : [suspended];
  }
  if (data.outcome === 'failed' && isRejection(metadata['rejected'])) {
    return [{ kind: 'ToolCallRejected', fidelity: 'domain' }];
  }
  if (data.outcome === 'failed' && metadata['timed_out'] === true) {
    return [{ kind: 'ToolCallTimedOut', fidelity: 'domain' }];
  }
  return [{ kind: 'ToolCallDone', fidelity: 'committed_runtime' }];
}

/** The companion ToolPermissionRequested row of the DESIGN.md §3 table. */
function requestsPermission(data: ToolCallDone): boolean {
  const suspension = data.result.suspension;
  return (
    data.result.status === 'pending' &&
    suspension?.resume_mode === 'replay_tool_call' &&
    isNonBlank(suspension.suspension.id)
  );
}

/** `metadata.rejected`: `true`, or a non-blank reason. `false`, blank or absent is no rejection. */
function isRejection(value: unknown): boolean {
  return value === true || isNonBlank(value);
}

function isNonBlank(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * A table lookup on a value the contract already checked. Consumers that skip the full
 * schema (docs/decisions.md D10) could hand over anything: fail loudly, never map it wrong.
 */
function known<T extends object>(table: T, key: string, what: string): T[keyof T] {
  if (!Object.hasOwn(table, key)) throw new RangeError(`unknown ${what}: ${key}`);
  return table[key as keyof T];
}
