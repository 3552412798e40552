// Test fixtures for the mapping specs: raw agent events that went through the contract.
import {
  decode,
  type DeliveredEvent,
  encode,
  exampleEvent,
  type KindOf,
  type Result,
  type RunlogEvent,
  type ValidationError,
} from '@runlog/contracts';

export interface FixtureOptions {
  readonly cursor?: string;
  readonly source?: string;
  readonly time?: string;
  readonly thread?: string;
  readonly run?: string;
}

/**
 * A raw agent event of `kind` as a consumer receives it: the contract example with `data`
 * fields replaced by `data`, decoded by the contract (so it is valid), at `cursor`.
 */
export function agentEvent(
  kind: KindOf<'agent'>,
  data: Record<string, unknown> = {},
  options: FixtureOptions = {},
): DeliveredEvent<'agent'> {
  const example = exampleEvent('agent', kind);
  const envelope = {
    ...example,
    id: `raw-${kind}-${options.cursor ?? '42'}`,
    source: options.source ?? example.source,
    time: options.time ?? example.time,
    data: {
      ...(example.data as Record<string, unknown>),
      ...(options.thread === undefined ? {} : { thread_id: options.thread }),
      ...(options.run === undefined ? {} : { run_id: options.run }),
      ...data,
    },
  };
  delete (envelope as { subject?: string }).subject; // derived from data by decode
  const decoded = decode(envelope);
  if (!decoded.ok) throw new Error(`invalid fixture: ${JSON.stringify(decoded.errors)}`);
  return { ...decoded.value, cursor: options.cursor ?? '42' } as DeliveredEvent<'agent'>;
}

/** A tool_call_done fixture with the given outcome and result. */
export function toolCallDone(
  outcome: 'succeeded' | 'failed' | 'suspended',
  result: Record<string, unknown>,
  options: FixtureOptions = {},
): DeliveredEvent<'agent'> {
  return agentEvent(
    'tool_call_done',
    { outcome, result: { status: 'ok', metadata: {}, ...result } },
    options,
  );
}

/** A suspension that asks permission to replay the tool call. */
export const PERMISSION_SUSPENSION = {
  status: 'pending',
  metadata: {},
  suspension: { resume_mode: 'replay_tool_call', suspension: { id: 'perm-1' } },
} as const;

/** The contract's verdict on a canonical event after a trip over the wire. */
export function roundTrip(event: RunlogEvent<'canonical'>): Result<RunlogEvent, ValidationError[]> {
  return decode(encode(event));
}
