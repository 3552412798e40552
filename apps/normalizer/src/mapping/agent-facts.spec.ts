import { type DeliveredEvent, KINDS, type KindOf } from '@runlog/contracts';
import { agentEvent, PERMISSION_SUSPENSION, roundTrip, toolCallDone } from './agent-event.fixture';
import { FIXED_FACTS } from './agent-facts';
import { mapAgentEvent } from './map-agent-event';

/** Kind and fidelity of everything one raw event maps to, every fidelity persisted. */
function facts(event: DeliveredEvent<'agent'>): [string, string][] {
  const { canonical } = mapAgentEvent({ event, state: undefined, mode: 'full_fidelity' });
  for (const { event: fact } of canonical)
    expect(roundTrip(fact)).toEqual({ ok: true, value: fact });
  return canonical.map(({ event: fact }) => [fact.kind, fact.data.fidelity]);
}

// DESIGN.md §3, canonical: one test per row of the mapping table.
describe('mapAgentEvent: the DESIGN.md §3 mapping table', () => {
  it('has a row for every agent kind', () => {
    const mapped = ['run_start', 'run_finish', 'tool_call_done', ...Object.keys(FIXED_FACTS)];
    expect([...mapped].sort()).toEqual([...KINDS.agent].sort());
  });

  it('run_start → RunStarted (domain) for a run not started yet', () => {
    expect(facts(agentEvent('run_start'))).toEqual([['RunStarted', 'domain']]);
  });

  it.each([
    ['natural_end', 'RunFinished'],
    ['behavior_requested', 'RunFinished'],
    ['suspended', 'RunSuspended'],
    ['cancelled', 'RunCancelled'],
    ['error', 'RunErrored'],
    ['stopped', 'RunTerminated'],
    ['blocked', 'RunTerminated'],
  ])('run_finish with termination %s → %s (domain)', (termination, kind) => {
    expect(facts(agentEvent('run_finish', { termination }))).toEqual([[kind, 'domain']]);
  });

  it.each<[KindOf<'agent'>, string, string]>([
    ['text_delta', 'TextDeltaObserved', 'observed_runtime'],
    ['reasoning_delta', 'ReasoningDeltaObserved', 'observed_runtime'],
    ['reasoning_encrypted_value', 'ReasoningEncryptedValueObserved', 'observed_runtime'],
    ['tool_call_start', 'ToolCallStarted', 'observed_runtime'],
    ['tool_call_delta', 'ToolCallDeltaObserved', 'observed_runtime'],
    ['tool_call_stream_delta', 'ToolCallStreamDeltaObserved', 'observed_runtime'],
    ['tool_call_ready', 'ToolCallReady', 'committed_runtime'],
    ['tool_call_resumed', 'ToolCallResumed', 'control'],
    ['tool_call_cancel', 'ToolCallCancelled', 'domain'],
    ['stream_reset', 'StreamReset', 'committed_runtime'],
    ['inference_complete', 'InferenceComplete', 'committed_runtime'],
    ['error', 'ErrorRecorded', 'committed_runtime'],
    ['step_start', 'StepStarted', 'observed_runtime'],
    ['step_end', 'StepEnded', 'observed_runtime'],
    ['messages_snapshot', 'MessagesSnapshotObserved', 'observed_runtime'],
    ['activity_snapshot', 'ActivitySnapshotObserved', 'observed_runtime'],
    ['activity_delta', 'ActivityDeltaObserved', 'observed_runtime'],
    ['state_snapshot', 'StateSnapshotObserved', 'observed_runtime'],
    ['state_delta', 'StateDeltaObserved', 'observed_runtime'],
  ])('%s → %s (%s)', (kind, canonical, fidelity) => {
    expect(facts(agentEvent(kind, { extra: { any: ['json'] } }))).toEqual([[canonical, fidelity]]);
  });
});

describe('mapAgentEvent: a raw event the contract would reject', () => {
  it('throws rather than guess a canonical kind for an unknown termination', () => {
    const event = agentEvent('run_finish');
    const odd = { ...event, data: { ...event.data, termination: 'vanished' } } as typeof event;
    expect(() => mapAgentEvent({ event: odd, state: undefined, mode: 'compacted' })).toThrow(
      'unknown run_finish termination: vanished',
    );
  });
});

describe('mapAgentEvent: tool_call_done', () => {
  it.each<[string, 'succeeded' | 'failed' | 'suspended', Record<string, unknown>, string, string]>([
    ['a success', 'succeeded', {}, 'ToolCallDone', 'committed_runtime'],
    ['a plain failure', 'failed', { status: 'error' }, 'ToolCallDone', 'committed_runtime'],
    ['a rejection (rejected: true)', 'failed', { rejected: true }, 'ToolCallRejected', 'domain'],
    ['a rejection with a reason', 'failed', { rejected: 'denied' }, 'ToolCallRejected', 'domain'],
    ['rejected: false', 'failed', { rejected: false }, 'ToolCallDone', 'committed_runtime'],
    ['a blank rejection reason', 'failed', { rejected: ' ' }, 'ToolCallDone', 'committed_runtime'],
    ['a time-out (timed_out: true)', 'failed', { timed_out: true }, 'ToolCallTimedOut', 'domain'],
    ['timed_out: "true"', 'failed', { timed_out: 'true' }, 'ToolCallDone', 'committed_runtime'],
    ['timed_out: false', 'failed', { timed_out: false }, 'ToolCallDone', 'committed_runtime'],
    [
      'a rejection that also timed out',
      'failed',
      { rejected: true, timed_out: true },
      'ToolCallRejected',
      'domain',
    ],
    [
      'a success marked rejected',
      'succeeded',
      { rejected: true },
      'ToolCallDone',
      'committed_runtime',
    ],
    [
      'a success marked timed out',
      'succeeded',
      { timed_out: true },
      'ToolCallDone',
      'committed_runtime',
    ],
    [
      'a suspension marked rejected',
      'suspended',
      { rejected: true },
      'ToolCallSuspended',
      'domain',
    ],
  ])('maps %s (outcome %s, metadata %j) to %s (%s)', (_, outcome, metadata, kind, fidelity) => {
    expect(facts(toolCallDone(outcome, { metadata }))).toEqual([[kind, fidelity]]);
  });

  it('maps a suspension to ToolCallSuspended (domain)', () => {
    expect(facts(toolCallDone('suspended', { status: 'suspended' }))).toEqual([
      ['ToolCallSuspended', 'domain'],
    ]);
  });

  it('adds a companion ToolPermissionRequested (domain) to a pending replay_tool_call suspension', () => {
    const event = toolCallDone('suspended', PERMISSION_SUSPENSION, { cursor: '7' });
    expect(facts(event)).toEqual([
      ['ToolCallSuspended', 'domain'],
      ['ToolPermissionRequested', 'domain'],
    ]);
    const { canonical } = mapAgentEvent({ event, state: undefined, mode: 'compacted' });
    expect(canonical.map((c) => c.msgId)).toEqual(['RUNLOG_AGENT:7:0', 'RUNLOG_AGENT:7:1']);
    expect(canonical[1]!.event.data.payload).toEqual(event.data);
  });

  const suspension = (resumeMode: string, id: string) => ({
    resume_mode: resumeMode,
    suspension: { id },
  });
  it.each<[string, 'succeeded' | 'failed' | 'suspended', Record<string, unknown>]>([
    ['a status other than pending', 'suspended', { ...PERMISSION_SUSPENSION, status: 'waiting' }],
    ['another resume mode', 'suspended', { status: 'pending', suspension: suspension('x', 'p') }],
    [
      'a blank suspension id',
      'suspended',
      { status: 'pending', suspension: suspension('replay_tool_call', ' ') },
    ],
    [
      'an empty suspension id',
      'suspended',
      { status: 'pending', suspension: suspension('replay_tool_call', '') },
    ],
    ['no suspension', 'suspended', { status: 'pending' }],
    ['an outcome other than suspended', 'failed', PERMISSION_SUSPENSION],
  ])('requests no permission for %s', (_, outcome, result) => {
    const kinds = facts(toolCallDone(outcome, result)).map(([kind]) => kind);
    expect(kinds).toHaveLength(1);
    expect(kinds).not.toContain('ToolPermissionRequested');
  });
});
