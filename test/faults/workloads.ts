// The workloads the fault tests push through the services, and the references and
// read-backs they are checked with: trace events (read back from trace-store, a page at a
// time), raw agent events (checked against the normalizer's pure mapping) and lease
// events (read back from lease-history's history, a page at a time).
import { type DeliveredEvent, type RunlogEvent } from '@runlog/contracts';
import { uniqueName } from '@runlog/testing';
import {
  type DurabilityMode,
  mapAgentEvent,
  type RunState,
} from '../../apps/normalizer/src/mapping';
import { typedEvent } from '../bus/bus-fixtures';
import { agent, scriptedRun } from '../normalizer/normalizer-fixtures';
import { getJson } from '../projection-fixture';
import { at } from '../trace-store/trace-fixtures';

/**
 * The `index`th event of a workload over `traces` traces: each trace's events take turns
 * opening and closing one step op, `seq` counting from 0 and the timestamps 10 ms apart.
 */
export function traceWorkload(prefix: string, traces: number) {
  return (index: number): RunlogEvent<'trace'> => {
    const requestId = `${prefix}-${index % traces}`;
    const seq = Math.floor(index / traces);
    const op = `step-${Math.floor(seq / 2)}`;
    const opens = seq % 2 === 0;
    return typedEvent('trace', opens ? 'op_start' : 'op_end', uniqueName('ce'), {
      event_id: `${requestId}-e${seq}`,
      request_id: requestId,
      op_name: op,
      ctx: ['main'],
      timestamp: at(seq * 10),
      seq,
      payload: opens
        ? { inputs: {} }
        : { outputs: null, status: 'ok', duration_ms: 5, yield_count: 0 },
    });
  };
}

interface TracePage {
  events: Array<{ cursor: string; event_id: string }>;
  warnings: unknown[];
  next_after: string | null;
}

/** Every event of a trace as `[cursor, event_id]`, a page of `limit` at a time, and the first page's warnings. */
export async function traceOf(
  url: string,
  requestId: string,
  limit: number,
): Promise<{ events: Array<[string, string]>; warnings: unknown[] }> {
  const events: Array<[string, string]> = [];
  let warnings: unknown[] | undefined;
  let after: string | null = null;
  do {
    const query: string = `limit=${limit}${after === null ? '' : `&after=${after}`}`;
    const page = await getJson<TracePage>(
      `${url}/v1/traces/${encodeURIComponent(requestId)}?${query}`,
    );
    if (page.status !== 200) throw new Error(`trace ${requestId}: ${page.status}`);
    warnings ??= page.body.warnings;
    events.push(...page.body.events.map((e): [string, string] => [e.cursor, e.event_id]));
    after = page.body.next_after;
  } while (after !== null);
  return { events, warnings };
}

interface HistoryPage {
  events: Array<{ cursor: string; id: string }>;
  next_after: string | null;
}

/** Every event of an execution's lease history as `[cursor, id]`, a page of `limit` at a time. */
export async function leaseHistoryOf(
  url: string,
  executionId: string,
  limit: number,
): Promise<Array<[string, string]>> {
  const events: Array<[string, string]> = [];
  let after: string | null = null;
  do {
    const query: string = `limit=${limit}${after === null ? '' : `&after=${after}`}`;
    const page = await getJson<HistoryPage>(
      `${url}/v1/executions/${encodeURIComponent(executionId)}/lease-history?${query}`,
    );
    if (page.status !== 200) throw new Error(`lease history ${executionId}: ${page.status}`);
    events.push(...page.body.events.map((e): [string, string] => [e.cursor, e.id]));
    after = page.body.next_after;
  } while (after !== null);
  return events;
}

/**
 * The `index`th raw event of a workload over `runs` runs of one thread: each run goes
 * round the scripted run (start, deltas, tool calls, a suspension, a resume, finishes)
 * again and again, so its starts resume and its later finishes do not count: decisions
 * that need the run state stored before a fault.
 */
export function agentWorkload(thread: string, runs: number) {
  const script = scriptedRun('t', 'r').map((event) => {
    const { thread_id: _thread, run_id: _run, ...data } = event.data;
    return { kind: event.kind, data: data };
  });
  return (index: number): RunlogEvent<'agent'> => {
    const step = script[Math.floor(index / runs) % script.length]!;
    return agent(step.kind, thread, `r-${index % runs}`, step.data);
  };
}

/** `kind@msgId` of the canonical facts the pure mapping gives for a run's events in cursor order, and the run state after them. */
export function expectedRun(
  delivered: readonly DeliveredEvent<'agent'>[],
  mode: DurabilityMode,
): { facts: string[]; state: RunState | undefined } {
  let state: RunState | undefined;
  const facts = delivered.flatMap((event) => {
    const mapped = mapAgentEvent({ event, state, mode });
    state = mapped.state;
    return mapped.canonical.map((c) => `${c.event.kind}@${c.msgId}`);
  });
  return { facts, state };
}
