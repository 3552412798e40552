// Reads back, after a fault, every event the doors accepted: from its family stream, from
// trace-store and lease-history (a page at a time), and as the normalizer's canonical
// facts and run states. Collects what is missing, what is there twice and what differs
// from the reference, with the figures of the closing note.
import { isDeepStrictEqual } from 'node:util';
import { type Bus } from '@runlog/bus';
import { type DeliveredEvent, streamName } from '@runlog/contracts';
import { type DurabilityMode } from '../../apps/normalizer/src/mapping';
import { RunStateStore } from '../../apps/normalizer/src/run-state/run-state-store';
import { described } from '../normalizer/normalizer-fixtures';
import { type IngressAck, type ServiceName } from './cluster-services-fixtures';
import { readStream, repeated } from './fault-fixtures';
import { type Accepted } from './service-kill-fixtures';
import { expectedRun, leaseHistoryOf, traceOf } from './workloads';

/** What the doors accepted, and the keys the workloads spread it over. */
export interface AcceptedFlow {
  readonly traces: readonly Accepted<'trace'>[];
  readonly agents: readonly Accepted<'agent'>[];
  readonly leases: readonly IngressAck<'lease_history'>[];
  readonly traceIds: readonly string[];
  readonly thread: string;
  readonly runs: readonly string[];
  readonly executionIds: readonly string[];
  readonly mode: DurabilityMode;
}

export interface ReadBack {
  /** `<where>: <id>` of each accepted event (or expected fact) not found there. */
  readonly lost: string[];
  /** `<where>: <id>` of each event (or fact) found there more than once, or not accepted at all. */
  readonly twice: string[];
  /** Read-backs that hold the right events but not as the reference says (order, warnings, state). */
  readonly wrong: string[];
  readonly figures: {
    readonly storedTraces: number;
    readonly projectedTraces: number;
    /** RUNLOG_AGENT's last sequence (each raw event stored takes one) and what is left in it. */
    readonly storedRaw: number;
    readonly leftRaw: number;
    readonly facts: number;
    readonly expectedFacts: number;
    readonly storedLeases: number;
    readonly projectedLeases: number;
  };
}

const PAGE = 97;

export async function readBack(
  admin: Bus,
  urls: Readonly<Record<ServiceName, string>>,
  flow: AcceptedFlow,
): Promise<ReadBack> {
  const lost: string[] = [];
  const twice: string[] = [];
  const wrong: string[] = [];
  const missing = (where: string, expected: readonly string[], found: readonly string[]) => {
    const seen = new Set(found);
    lost.push(...expected.filter((id) => !seen.has(id)).map((id) => `${where}: ${id}`));
    const known = new Set(expected);
    twice.push(...repeated(found).map((id) => `${where}: ${id} twice`));
    twice.push(...found.filter((id) => !known.has(id)).map((id) => `${where}: ${id} not accepted`));
  };

  // Each accepted event once in its family stream, at the cursor its answer named.
  const storedTraces = await readStream(admin, 'trace');
  missing(
    streamName('trace'),
    flow.traces.map((a) => `${a.event.id}@${a.cursor}`),
    storedTraces.map((e) => `${e.id}@${e.cursor}`),
  );
  const storedLeases = await readStream(admin, 'lease_history');
  missing(
    streamName('lease_history'),
    flow.leases.map((a) => a.event.id),
    storedLeases.map((e) => e.id),
  );
  // RUNLOG_AGENT is a work queue, empty once normalized: each accepted raw event at a
  // cursor of its own, and no sequence more than those (a raw event stored twice takes two).
  const agent = (await admin.manager.streams.info(streamName('agent'))).state;
  twice.push(...repeated(flow.agents.map((a) => a.cursor)).map((c) => `raw cursor ${c} twice`));
  if (agent.last_seq !== flow.agents.length)
    twice.push(`RUNLOG_AGENT: ${agent.last_seq} stored for ${flow.agents.length} accepted`);

  // trace-store answers each accepted trace event once, in (timestamp, seq) order, no warning.
  let projectedTraces = 0;
  for (const id of flow.traceIds) {
    const own = flow.traces
      .filter((a) => a.event.data.request_id === id)
      .sort((a, b) => a.event.data.seq - b.event.data.seq)
      .map((a) => `${a.event.data.event_id}@${a.cursor}`);
    const read = await traceOf(urls['trace-store'], id, PAGE);
    const answered = read.events.map(([cursor, eventId]) => `${eventId}@${cursor}`);
    projectedTraces += answered.length;
    missing(`trace ${id}`, own, answered);
    if (answered.join() !== own.join()) wrong.push(`trace ${id}: not in (timestamp, seq) order`);
    if (read.warnings.length > 0) wrong.push(`trace ${id}: ${JSON.stringify(read.warnings)}`);
  }

  // lease-history answers each accepted lease event once, in cursor order.
  let projectedLeases = 0;
  for (const id of flow.executionIds) {
    const own = storedLeases.filter((e) => e.data.execution_id === id).map((e) => e.id);
    const read = await leaseHistoryOf(urls['lease-history'], id, PAGE);
    projectedLeases += read.length;
    const answered = read.map(([, eventId]) => eventId);
    missing(`lease history ${id}`, own, answered);
    if (answered.join() !== own.join()) wrong.push(`lease history ${id}: not in cursor order`);
  }

  // RUNLOG_CANONICAL holds each fact of every accepted raw event once (msgID
  // `<stream>:<seq>:<index>`), per run in the order and with the decisions of the pure
  // mapping over the run's raw events in cursor order; the run states in KV are the mapping's.
  const canonical = await readStream(admin, 'canonical');
  const raw: DeliveredEvent<'agent'>[] = flow.agents
    .map((a) => ({ ...a.event, cursor: a.cursor }))
    .sort((a, b) => Number(a.cursor) - Number(b.cursor));
  const runOf = new Map(raw.map((event) => [event.cursor, event.data.run_id]));
  const runStates = await RunStateStore.open(admin, { replicas: 3 });
  let expectedFacts = 0;
  for (const run of flow.runs) {
    const expected = expectedRun(
      raw.filter((event) => event.data.run_id === run),
      flow.mode,
    );
    const written = described(canonical.filter((e) => runOf.get(e.data.source_cursor) === run));
    expectedFacts += expected.facts.length;
    missing(`canonical run ${run}`, expected.facts, written);
    if (written.join() !== expected.facts.join())
      wrong.push(`canonical run ${run}: not in the order of the pure mapping`);
    const { state } = await runStates.read(flow.thread, run);
    if (!isDeepStrictEqual(state, expected.state))
      wrong.push(
        `run ${run}: state ${JSON.stringify(state)}, not ${JSON.stringify(expected.state)}`,
      );
  }
  twice.push(
    ...canonical
      .filter((e) => !runOf.has(e.data.source_cursor))
      .map((e) => `canonical: ${e.id} of no accepted raw event`),
  );

  return {
    lost,
    twice,
    wrong,
    figures: {
      storedTraces: storedTraces.length,
      projectedTraces,
      storedRaw: agent.last_seq,
      leftRaw: agent.messages,
      facts: canonical.length,
      expectedFacts,
      storedLeases: storedLeases.length,
      projectedLeases,
    },
  };
}
