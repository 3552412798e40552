import {
  type CanonicalFact,
  type DeliveredEvent,
  type RunlogEvent,
  streamName,
  subjectAttribute,
} from '@runlog/contracts';
import { type Fact, factsOf } from './agent-facts';
import { type DurabilityMode, persists } from './durability';
import { NEW_RUN, type RunState } from './run-state';

/**
 * The CloudEvents `source` of every canonical event. The same on every replica, so two
 * replicas write byte-identical events; the raw producer is kept in `data.origin`.
 */
export const NORMALIZER_SOURCE = 'runlog/normalizer';

/** Canonical facts are visible to every reader of RUNLOG_CANONICAL. */
export const CANONICAL_VISIBILITY = 'public';

export interface AgentEventInput {
  /** A raw agent event as validated by the contract, with its cursor in `stream`. */
  readonly event: DeliveredEvent<'agent'>;
  /** The stored state of the event's run; `undefined` for a run never seen. */
  readonly state: RunState | undefined;
  readonly mode: DurabilityMode;
  /** The stream the event was read from (default RUNLOG_AGENT). */
  readonly stream?: string;
}

export interface CanonicalOutput {
  /** `<source stream>:<source seq>:<index>`: the publish msgID and the event id. */
  readonly msgId: string;
  readonly event: RunlogEvent<'canonical'>;
}

export interface AgentMapping {
  /** What to publish, in order. Empty when the mode persists none of the facts. */
  readonly canonical: readonly CanonicalOutput[];
  /** The run state after the event, whatever the mode. */
  readonly state: RunState;
  /** False when `state` is the state passed in (or a new run's): nothing to store. */
  readonly stateChanged: boolean;
}

/**
 * Maps one raw agent event to the canonical events to persist (DESIGN.md §3). Pure and
 * deterministic: ids and times come from the input, which is never modified. The `index`
 * of a fact is its place among all the event's facts before the mode filters them, so a
 * msgID never names two different facts whatever the mode.
 */
export function mapAgentEvent(input: AgentEventInput): AgentMapping {
  const { event, mode } = input;
  const position = `${input.stream ?? streamName('agent')}:${event.cursor}`;
  const before = input.state ?? NEW_RUN;
  const { facts, state } = factsOf(event, before, position);
  const canonical = facts.flatMap((fact, index) => {
    if (!persists(mode, fact.fidelity)) return [];
    const msgId = `${position}:${index}`;
    return [{ msgId, event: canonicalEvent(event, fact, msgId) }];
  });
  return { canonical, state, stateChanged: state !== before };
}

function canonicalEvent(
  raw: DeliveredEvent<'agent'>,
  fact: Fact,
  id: string,
): RunlogEvent<'canonical'> {
  const { thread_id: thread, run_id: run } = raw.data;
  const correlation = raw.data.correlation_id;
  const data: CanonicalFact = {
    kind: fact.kind,
    fidelity: fact.fidelity,
    scopes: [
      { type: 'thread', id: thread },
      { type: 'run', id: run },
    ],
    visibility: CANONICAL_VISIBILITY,
    origin: raw.source,
    ...(correlation === undefined ? {} : { correlation_id: correlation }),
    source_cursor: raw.cursor,
    payload: { ...raw.data },
  };
  // `data.kind` and `kind` are the same value; TypeScript cannot correlate them.
  return {
    family: 'canonical',
    kind: fact.kind,
    id,
    source: NORMALIZER_SOURCE,
    time: raw.time,
    subject: subjectAttribute([thread, run]),
    data,
  } as RunlogEvent<'canonical'>;
}
