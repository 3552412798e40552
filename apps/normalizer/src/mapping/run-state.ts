/**
 * What the normalizer remembers about one run (DESIGN.md §3: "Run state (started,
 * finished)"). A plain JSON value: the caller keeps one per `<thread>.<run>` (a KV entry
 * written with compare-and-set) and hands it back with the run's next raw event.
 *
 * The `...By` fields name the raw event (`<stream>:<cursor>`) that set each flag. The
 * caller must store the new state before it publishes (otherwise two replicas could both
 * publish a RunFinished); if it crashes in between, the redelivered event finds its own
 * position here and maps to the same facts, with the same msgIds, as the first time.
 */
export interface RunState {
  /** A run_start was seen. */
  readonly started: boolean;
  /** The run's last finish was `suspended` and no run_start resumed it since. */
  readonly suspended: boolean;
  /** A terminal finish (any termination but `suspended`) was seen: it was the one that counted. */
  readonly finished: boolean;
  readonly startedBy?: string;
  readonly suspendedBy?: string;
  readonly finishedBy?: string;
}

/** Whether an agent kind reads or moves run state (the others map the same in any state). */
export function touchesRunState(kind: string): boolean {
  return kind === 'run_start' || kind === 'run_finish';
}

/** The state of a run the normalizer has never seen. */
export const NEW_RUN: RunState = Object.freeze({
  started: false,
  suspended: false,
  finished: false,
});

/** The outcome of one run_start. */
export interface StartOutcome {
  readonly kind: 'RunStarted' | 'RunResumed';
  readonly state: RunState;
}

/** The outcome of one run_finish: whether it counts, and the state after it. */
export interface FinishOutcome {
  readonly counts: boolean;
  readonly state: RunState;
}

/** A run_start starts a new run, or resumes one that already started (ending a suspension). */
export function startRun(state: RunState, by: string): StartOutcome {
  if (state.started && state.startedBy !== by) {
    return { kind: 'RunResumed', state: patch(state, { suspended: false }) };
  }
  return { kind: 'RunStarted', state: patch(state, { started: true, startedBy: by }) };
}

/**
 * Only the first finish of a run counts. A suspension is a finish that a later run_start
 * can resume, so it counts once per suspension and does not end the run; the first
 * terminal finish ends it, and every finish after it is ignored.
 */
export function finishRun(state: RunState, by: string, suspends: boolean): FinishOutcome {
  if (state.finished) return { counts: state.finishedBy === by, state };
  if (suspends) {
    if (state.suspended && state.suspendedBy !== by) return { counts: false, state };
    return { counts: true, state: patch(state, { suspended: true, suspendedBy: by }) };
  }
  return {
    counts: true,
    state: patch(state, { suspended: false, finished: true, finishedBy: by }),
  };
}

/** `state` itself when `changes` change nothing, so callers can skip the KV write. */
function patch(state: RunState, changes: Partial<RunState>): RunState {
  const keys = Object.keys(changes) as (keyof RunState)[];
  return keys.every((key) => state[key] === changes[key]) ? state : { ...state, ...changes };
}
