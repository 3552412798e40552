// The trace workload of the trace-store rows and of end to end: traces of
// {@link TRACE_LENGTH} events, {@link CONCURRENT_TRACES} of them interleaved, op starts and
// ends in pairs and an LLM call every tenth event.
import { type CloudEventEnvelope, exampleData, exampleEvent } from '../libs/contracts/src';

export const TRACE_LENGTH = 50;
export const CONCURRENT_TRACES = 20;
/** Events of one wave: {@link CONCURRENT_TRACES} traces from their first event to their last. */
export const WAVE = TRACE_LENGTH * CONCURRENT_TRACES;

/** Where the `index`-th event of the workload falls: its wave, its trace, its place in it. */
export function traceSlot(index: number): { wave: number; trace: number; i: number } {
  const wave = Math.floor(index / WAVE);
  const inWave = index % WAVE;
  return {
    wave,
    trace: wave * CONCURRENT_TRACES + (inWave % CONCURRENT_TRACES),
    i: Math.floor(inWave / CONCURRENT_TRACES),
  };
}

const KINDS = ['op_start', 'op_end', 'llm_usage'] as const;
/** Each kind's example envelope, built once (shallow-copied per event; nothing writes to it). */
const EXAMPLES = new Map(
  KINDS.map((kind) => [
    kind,
    { envelope: exampleEvent('trace', kind), data: exampleData('trace', kind) },
  ]),
);

/** The `index`-th event of the workload as a producer sends it, stamped `timestamp`. */
export function traceWorkloadEvent(
  prefix: string,
  index: number,
  timestamp: string,
): { readonly requestId: string; readonly envelope: CloudEventEnvelope } {
  const { trace, i } = traceSlot(index);
  const kind: (typeof KINDS)[number] =
    i % 10 === 5 ? 'llm_usage' : i % 2 === 0 ? 'op_start' : 'op_end';
  const example = EXAMPLES.get(kind) as { envelope: CloudEventEnvelope; data: object };
  const requestId = `${prefix}-t${trace}`;
  const id = `${requestId}-e${i}`;
  const data = {
    ...example.data,
    event_id: id,
    request_id: requestId,
    op_name: `step.${Math.floor(i / 2) % 5}`,
    ctx: ['main'],
    timestamp,
    seq: i,
  };
  return { requestId, envelope: { ...example.envelope, id, subject: requestId, data } };
}
