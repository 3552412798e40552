import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { type KV } from '@nats-io/kv';
import { type Bus } from '@runlog/bus';
import { type RunState } from '../mapping/run-state';

/** The KV bucket of run states, shared by every normalizer replica. */
export const RUN_STATE_BUCKET = 'runlog_normalizer_runs';
/** Read-modify-write attempts before a run's state is declared contended. */
const MAX_ATTEMPTS = 10;

/** What a transition of one run's state decided. */
export interface RunStateChange<T> {
  /** The state to store; `unchanged` when there is nothing to write. */
  readonly state: RunState;
  readonly changed: boolean;
  /** Anything else the transition computed (the canonical events to publish, say). */
  readonly result: T;
}

/**
 * Run state in a NATS KV bucket (issue 5: survives restarts, shared by replicas). Every
 * write is compare-and-set on the entry's revision: {@link apply} reads, lets a pure
 * transition decide, and writes only if no other replica wrote in between (otherwise it
 * reads again), so two replicas can never both decide "RunStarted" or "RunFinished".
 */
export class RunStateStore {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus, { replicas = 1 } = {}): Promise<RunStateStore> {
    return new RunStateStore(await bus.keyValue(RUN_STATE_BUCKET, { history: 1, replicas }));
  }

  /** The stored state of a run and its revision (0: never stored). */
  async read(thread: string, run: string): Promise<{ state?: RunState; revision: number }> {
    const entry = await this.kv.get(runKey(thread, run));
    if (!entry || entry.operation !== 'PUT') return { revision: entry?.revision ?? 0 };
    return { state: entry.json<RunState>(), revision: entry.revision };
  }

  /**
   * Applies a pure transition to a run's state with compare-and-set, retrying when another
   * replica wrote first. Resolves to the transition's result once its state is stored.
   */
  async apply<T>(
    thread: string,
    run: string,
    transition: (state: RunState | undefined) => RunStateChange<T>,
  ): Promise<T> {
    const key = runKey(thread, run);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { state, revision } = await this.read(thread, run);
      const change = transition(state);
      if (!change.changed) return change.result;
      try {
        const body = JSON.stringify(change.state);
        if (revision === 0) await this.kv.create(key, body);
        else await this.kv.update(key, body, revision);
        return change.result;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    throw new Error(`run state of ${thread}/${run}: ${MAX_ATTEMPTS} conflicting writes in a row`);
  }
}

/**
 * A KV key for a run: ids may hold any character, KV keys only `[-/_=.A-Za-z0-9]`, so
 * each id is base64url-encoded (reversible, no `.` inside a token).
 */
export function runKey(thread: string, run: string): string {
  const token = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
  return `run.${token(thread)}.${token(run)}`;
}

function isConflict(error: unknown): boolean {
  if (!(error instanceof JetStreamApiError)) return false;
  return (
    error.code === JetStreamApiCodes.StreamWrongLastSequence ||
    error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown
  );
}
