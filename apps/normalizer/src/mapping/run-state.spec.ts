import { type DeliveredEvent } from '@runlog/contracts';
import { agentEvent } from './agent-event.fixture';
import { mapAgentEvent } from './map-agent-event';
import { finishRun, NEW_RUN, type RunState, startRun } from './run-state';

const start = (cursor: string) => agentEvent('run_start', {}, { cursor });
const finish = (cursor: string, termination: string) =>
  agentEvent('run_finish', { termination }, { cursor });

/** Feeds raw events of one run through the mapper, threading the state; returns the kinds. */
function run(events: DeliveredEvent<'agent'>[], initial?: RunState) {
  let state = initial;
  const kinds: string[] = [];
  for (const event of events) {
    const result = mapAgentEvent({ event, state, mode: 'compacted' });
    kinds.push(...result.canonical.map((c) => c.event.kind));
    state = result.state;
  }
  return { kinds, state };
}

describe('RunStarted vs RunResumed', () => {
  it('maps the first run_start to RunStarted, whether the state is absent or new', () => {
    expect(run([start('1')]).kinds).toEqual(['RunStarted']);
    expect(run([start('1')], NEW_RUN).kinds).toEqual(['RunStarted']);
  });

  it('maps every later run_start of the run to RunResumed', () => {
    expect(run([start('1'), start('2'), start('3')]).kinds).toEqual([
      'RunStarted',
      'RunResumed',
      'RunResumed',
    ]);
  });

  it('resumes a run started before, as the stored state says (a restart, another replica)', () => {
    const stored = run([start('1')]).state;
    expect(run([start('9')], JSON.parse(JSON.stringify(stored)) as RunState).kinds).toEqual([
      'RunResumed',
    ]);
    expect(run([start('9')], { started: true, suspended: false, finished: false }).kinds).toEqual([
      'RunResumed',
    ]);
  });

  it('maps a redelivered first run_start to RunStarted again, with the same msgId', () => {
    const first = mapAgentEvent({ event: start('1'), state: undefined, mode: 'compacted' });
    const again = mapAgentEvent({ event: start('1'), state: first.state, mode: 'compacted' });
    expect(again.canonical).toEqual(first.canonical);
    expect(again.stateChanged).toBe(false);
  });

  it('starts a run that other events reached first', () => {
    const before = run([agentEvent('text_delta', {}, { cursor: '1' })]);
    expect(before.state).toBe(NEW_RUN);
    expect(run([start('2')], before.state).kinds).toEqual(['RunStarted']);
  });
});

describe('only the first finish of a run counts', () => {
  it('ignores every finish after the first terminal one, whatever its termination', () => {
    const events = [
      start('1'),
      finish('2', 'natural_end'),
      finish('3', 'error'),
      finish('4', 'natural_end'),
      finish('5', 'suspended'),
      finish('6', 'cancelled'),
    ];
    expect(run(events).kinds).toEqual(['RunStarted', 'RunFinished']);
  });

  it('counts a finish of a run never seen starting', () => {
    expect(run([finish('1', 'stopped')]).kinds).toEqual(['RunTerminated']);
  });

  it('holds across a restart: a stored finished state ignores the next finish', () => {
    const stored = run([start('1'), finish('2', 'cancelled')]).state;
    const restored = JSON.parse(JSON.stringify(stored)) as RunState;
    expect(run([finish('3', 'natural_end')], restored).kinds).toEqual([]);
  });

  it('maps a redelivered counted finish the same way after its state was stored', () => {
    const first = mapAgentEvent({
      event: finish('2', 'error'),
      state: NEW_RUN,
      mode: 'compacted',
    });
    const again = mapAgentEvent({
      event: finish('2', 'error'),
      state: first.state,
      mode: 'compacted',
    });
    expect(again.canonical).toEqual(first.canonical);
    expect(again.canonical.map((c) => c.event.kind)).toEqual(['RunErrored']);
    expect(again.stateChanged).toBe(false);
  });

  it('lets a suspended run resume and then finish', () => {
    const events = [start('1'), finish('2', 'suspended'), start('3'), finish('4', 'natural_end')];
    expect(run(events).kinds).toEqual(['RunStarted', 'RunSuspended', 'RunResumed', 'RunFinished']);
  });

  it('counts one suspension until the run resumes', () => {
    const events = [
      start('1'),
      finish('2', 'suspended'),
      finish('3', 'suspended'),
      start('4'),
      finish('5', 'suspended'),
    ];
    expect(run(events).kinds).toEqual(['RunStarted', 'RunSuspended', 'RunResumed', 'RunSuspended']);
  });

  it('ends a suspended run with a terminal finish that comes without a resume', () => {
    const events = [start('1'), finish('2', 'suspended'), finish('3', 'cancelled'), start('4')];
    expect(run(events).kinds).toEqual(['RunStarted', 'RunSuspended', 'RunCancelled', 'RunResumed']);
    expect(run(events).state).toMatchObject({ finished: true, suspended: false });
  });

  it('advances the run state in every mode, even when nothing is persisted', () => {
    const disabled = mapAgentEvent({ event: start('1'), state: undefined, mode: 'disabled' });
    expect(disabled.canonical).toEqual([]);
    expect(disabled.stateChanged).toBe(true);
    expect(run([start('2')], disabled.state).kinds).toEqual(['RunResumed']);
  });
});

describe('run state transitions', () => {
  it('records which raw event set each flag', () => {
    const started = startRun(NEW_RUN, 'S:1').state;
    expect(started).toEqual({ started: true, suspended: false, finished: false, startedBy: 'S:1' });
    const suspended = finishRun(started, 'S:2', true).state;
    expect(suspended).toMatchObject({ suspended: true, suspendedBy: 'S:2' });
    const resumed = startRun(suspended, 'S:3');
    expect(resumed).toEqual({ kind: 'RunResumed', state: { ...suspended, suspended: false } });
    const finished = finishRun(resumed.state, 'S:4', false);
    expect(finished).toEqual({
      counts: true,
      state: { ...resumed.state, finished: true, finishedBy: 'S:4' },
    });
  });

  it('returns the very state passed in when nothing changes, and never modifies it', () => {
    const finished = Object.freeze(finishRun(NEW_RUN, 'S:1', false).state);
    expect(finishRun(finished, 'S:2', false)).toEqual({ counts: false, state: finished });
    expect(finishRun(finished, 'S:2', false).state).toBe(finished);
    expect(finishRun(finished, 'S:1', false).state).toBe(finished);
    const started = Object.freeze(startRun(NEW_RUN, 'S:1').state);
    expect(startRun(started, 'S:2').state).toBe(started);
    expect(NEW_RUN).toEqual({ started: false, suspended: false, finished: false });
  });
});
