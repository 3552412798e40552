import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventSubject, KINDS, type KindOf } from '@runlog/contracts';
import type { DurabilityMode as ConfiguredMode } from '@runlog/platform';
import { agentEvent, PERMISSION_SUSPENSION, roundTrip, toolCallDone } from './agent-event.fixture';
import { DURABILITY_MODES, type DurabilityMode, persists } from './durability';
import { CANONICAL_VISIBILITY, mapAgentEvent, NORMALIZER_SOURCE } from './map-agent-event';
import { touchesRunState } from './run-state';

// The mapper's modes are the configuration's modes, no more and no less.
const sameModes: [ConfiguredMode, DurabilityMode] extends [DurabilityMode, ConfiguredMode]
  ? true
  : false = true;

const map = (event = agentEvent('text_delta'), mode: DurabilityMode = 'full_fidelity') =>
  mapAgentEvent({ event, state: undefined, mode });

describe('mapAgentEvent: the canonical envelope', () => {
  const raw = agentEvent(
    'tool_call_start',
    { call_id: 'call-9', tool_name: 'search', correlation_id: 'corr-1' },
    {
      cursor: '1042',
      source: 'agent/runtime@host-2',
      time: '2026-01-02T03:04:05.678Z',
      thread: 'thread.with.dots',
      run: 'run-7',
    },
  );
  const [only] = map(raw).canonical;
  const event = only!.event;

  it('is a valid canonical event the contract reads back unchanged', () => {
    expect(sameModes).toBe(true);
    expect(roundTrip(event)).toEqual({ ok: true, value: event });
  });

  it('names the raw event in msgId `<source stream>:<source seq>:<index>`, which is also its id', () => {
    expect(only!.msgId).toBe('RUNLOG_AGENT:1042:0');
    expect(event.id).toBe(only!.msgId);
  });

  it('keeps the stream it was read from in the msgId', () => {
    const [redriven] = mapAgentEvent({
      event: raw,
      state: undefined,
      mode: 'full_fidelity',
      stream: 'RUNLOG_AGENT_MIRROR',
    }).canonical;
    expect(redriven!.msgId).toBe('RUNLOG_AGENT_MIRROR:1042:0');
  });

  it('is scoped to the thread and the run, and stored under events.canonical.<thread>.<run>', () => {
    expect(event.data.scopes).toEqual([
      { type: 'thread', id: 'thread.with.dots' },
      { type: 'run', id: 'run-7' },
    ]);
    expect(event.subject).toBe(raw.subject);
    expect(eventSubject(event)).toBe(
      eventSubject(raw).replace('events.agent.', 'events.canonical.'),
    );
  });

  it("carries the raw event's source as origin, its cursor, its time and its payload", () => {
    expect(event.family).toBe('canonical');
    expect(event.kind).toBe('ToolCallStarted');
    expect(event.data).toEqual({
      kind: 'ToolCallStarted',
      fidelity: 'observed_runtime',
      scopes: event.data.scopes,
      visibility: CANONICAL_VISIBILITY,
      origin: 'agent/runtime@host-2',
      correlation_id: 'corr-1',
      source_cursor: '1042',
      payload: raw.data,
    });
    expect(event.source).toBe(NORMALIZER_SOURCE);
    expect(event.time).toBe('2026-01-02T03:04:05.678Z');
    expect(event.sourceseq).toBeUndefined();
  });

  it('carries the correlation id only when the raw event gives one, on any kind', () => {
    const withoutId = map(agentEvent('text_delta')).canonical[0]!.event;
    expect(withoutId.data).not.toHaveProperty('correlation_id');
    const finish = map(agentEvent('run_finish', { correlation_id: 'corr-2' })).canonical[0]!.event;
    expect(finish.data.correlation_id).toBe('corr-2');
  });

  it('carries a nested raw payload as it is, and does not share the top-level object', () => {
    const nested = agentEvent('state_snapshot', { snapshot: { a: [1, { b: null }], c: 'x' } });
    const fact = map(nested).canonical[0]!.event;
    expect(fact.data.payload).toEqual(nested.data);
    expect(fact.data.payload).not.toBe(nested.data);
    expect(roundTrip(fact).ok).toBe(true);
  });

  it('is valid for every kind, termination and tool outcome', () => {
    const all = [
      ...KINDS.agent.map((kind) => agentEvent(kind)),
      ...['suspended', 'cancelled', 'error', 'stopped', 'blocked'].map((termination) =>
        agentEvent('run_finish', { termination }),
      ),
      toolCallDone('suspended', PERMISSION_SUSPENSION),
      toolCallDone('failed', { metadata: { rejected: true } }),
      toolCallDone('failed', { metadata: { timed_out: true } }),
    ];
    for (const raw of all) {
      for (const { event } of map(raw).canonical) {
        expect(roundTrip(event)).toEqual({ ok: true, value: event });
      }
    }
  });
});

describe('mapAgentEvent: durability modes', () => {
  const kindsIn = (mode: DurabilityMode, kind: KindOf<'agent'>) =>
    map(agentEvent(kind), mode).canonical.map((c) => c.event.data.fidelity);

  it.each(KINDS.agent)('disabled persists nothing of %s', (kind) => {
    expect(map(agentEvent(kind), 'disabled').canonical).toEqual([]);
  });

  it('disabled persists no tool permission request either', () => {
    expect(map(toolCallDone('suspended', PERMISSION_SUSPENSION), 'disabled').canonical).toEqual([]);
  });

  it.each(KINDS.agent)('compacted persists %s unless it is observed_runtime', (kind) => {
    const full = kindsIn('full_fidelity', kind);
    expect(kindsIn('compacted', kind)).toEqual(full.filter((f) => f !== 'observed_runtime'));
  });

  it('compacted keeps domain, committed_runtime and control facts', () => {
    expect(kindsIn('compacted', 'tool_call_cancel')).toEqual(['domain']);
    expect(kindsIn('compacted', 'tool_call_ready')).toEqual(['committed_runtime']);
    expect(kindsIn('compacted', 'tool_call_resumed')).toEqual(['control']);
    expect(kindsIn('compacted', 'text_delta')).toEqual([]);
  });

  it.each(KINDS.agent)('full_fidelity persists %s', (kind) => {
    expect(map(agentEvent(kind), 'full_fidelity').canonical).toHaveLength(1);
  });

  it('decides by fidelity alone', () => {
    const table = DURABILITY_MODES.map((mode) => [
      mode,
      (['domain', 'committed_runtime', 'control', 'observed_runtime'] as const).map((f) =>
        persists(mode, f),
      ),
    ]);
    expect(table).toEqual([
      ['disabled', [false, false, false, false]],
      ['compacted', [true, true, true, false]],
      ['full_fidelity', [true, true, true, true]],
    ]);
  });

  it('gives the same msgId to the same fact in every mode', () => {
    const event = agentEvent('tool_call_ready', {}, { cursor: '5' });
    expect(map(event, 'compacted').canonical).toEqual(map(event, 'full_fidelity').canonical);
  });
});

describe('mapAgentEvent: purity', () => {
  it('imports neither NestJS nor NATS, directly or through a runlog library', () => {
    const sources = readdirSync(__dirname).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'),
    );
    for (const file of sources) {
      const imports = [...readFileSync(join(__dirname, file), 'utf8').matchAll(/from '([^']+)'/g)];
      for (const [, module] of imports)
        expect([file, module]).toEqual([
          file,
          expect.stringMatching(/^(\.\/|@runlog\/contracts$)/),
        ]);
    }
  });

  it('returns equal output for equal input and modifies nothing', () => {
    const event = Object.freeze(agentEvent('run_start', {}, { cursor: '3' }));
    const state = Object.freeze({ started: false, suspended: false, finished: false });
    const input = Object.freeze({ event, state, mode: 'compacted' as const });
    const snapshot = JSON.stringify(input);
    expect(mapAgentEvent(input)).toEqual(mapAgentEvent(input));
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  it('reports whether the state changed', () => {
    expect(map(agentEvent('text_delta')).stateChanged).toBe(false);
    expect(map(agentEvent('run_start')).stateChanged).toBe(true);
  });
});

describe('mapAgentEvent: which kinds depend on run state', () => {
  const states = [
    undefined,
    { started: true, suspended: false, finished: false, startedBy: 'RUNLOG_AGENT:1' },
    { started: true, suspended: true, finished: false, suspendedBy: 'RUNLOG_AGENT:2' },
    { started: true, suspended: false, finished: true, finishedBy: 'RUNLOG_AGENT:3' },
  ];

  it.each(KINDS.agent.filter((kind) => !touchesRunState(kind)))(
    '%s maps to the same facts in every state, and leaves the state alone (the consumer skips KV)',
    (kind) => {
      const event =
        kind === 'tool_call_done'
          ? toolCallDone('suspended', PERMISSION_SUSPENSION)
          : agentEvent(kind);
      const baseline = mapAgentEvent({ event, state: undefined, mode: 'full_fidelity' });
      for (const state of states) {
        const mapped = mapAgentEvent({ event, state, mode: 'full_fidelity' });
        expect(mapped.canonical).toEqual(baseline.canonical);
        expect(mapped.stateChanged).toBe(false);
      }
    },
  );

  it.each(['run_start', 'run_finish'] as const)('%s depends on run state', (kind) => {
    expect(touchesRunState(kind)).toBe(true);
    const event = agentEvent(kind, kind === 'run_finish' ? { termination: 'natural_end' } : {});
    const kinds = states.map((state) =>
      mapAgentEvent({ event, state, mode: 'full_fidelity' }).canonical.map((c) => c.event.kind),
    );
    expect(new Set(kinds.map((k) => k.join())).size).toBeGreaterThan(1);
  });
});
