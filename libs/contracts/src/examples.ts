import { type CloudEventEnvelope } from './envelope';
import { eventType, type Family, KINDS, type KindOf } from './families';
import { dataKey, subjectAttribute } from './keys';

// One valid `data` per kind, used by tests, benchmarks and the OpenAPI examples.

const AT = '2026-11-23T10:00:00.000Z';
const exec = { execution_id: 'exec-1', at: AT };
const thread = { thread_id: 'thread-1', run_id: 'run-1' };
const trace = { event_id: 'ev-1', request_id: 'req-1', ctx: ['main'], timestamp: AT, seq: 0 };

const AGENT_EXTRAS: Partial<Record<KindOf<'agent'>, Record<string, unknown>>> = {
  run_start: { parent_run_id: 'run-0' },
  run_finish: { termination: 'natural_end', reason: 'done' },
  text_delta: { message_id: 'm-1', delta: 'Hello' },
  tool_call_start: { call_id: 'call-1', tool_name: 'search' },
  tool_call_done: {
    call_id: 'call-1',
    outcome: 'succeeded',
    result: { status: 'ok', metadata: { elapsed_ms: 12 } },
  },
};

const DATA: { readonly [F in Family]: (kind: KindOf<F>) => Record<string, unknown> } = {
  engine: (kind) =>
    ({
      engine_started: { model: 'qwen3-4b', port: 8080 },
      model_loaded: { model: 'qwen3-4b' },
      warm_up_complete: { model: 'qwen3-4b' },
      request_served: {
        route: '/v1/chat/completions',
        model: 'qwen3-4b',
        provider: 'local',
        latency_ms: 42.5,
        status_code: 200,
      },
      engine_error: { kind: 'oom', model: 'qwen3-4b' },
      engine_stopping: { model: 'qwen3-4b' },
    })[kind],
  lease_history: (kind) =>
    ({
      acquired: { ...exec, lease_id: 'lease-1', worker_instance_id: 'worker-1' },
      renewed: { ...exec, lease_id: 'lease-1', worker_instance_id: 'worker-1' },
      expired: { ...exec, lease_id: 'lease-1', prev_owner: 'worker-1' },
      reclaimed: { ...exec, new_lease_id: 'lease-2', new_owner: 'worker-2' },
      revoked: { ...exec, lease_id: 'lease-1', revoked_by: 'operator' },
    })[kind],
  completion: () => ({ ...exec, outcome: 'success' }),
  signal_delivery: () => ({
    ...exec,
    signal_id: 'sig-1',
    waitpoint_id: 'wp-1',
    source_identity: 'api',
    effect: 'satisfied',
  }),
  instance_tags: () => ({ ...exec, tag: 'priority:high' }),
  trace: (kind) =>
    ({
      op_start: { ...trace, op_name: 'agent.plan', payload: { inputs: { goal: 'x' } } },
      op_end: {
        ...trace,
        op_name: 'agent.plan',
        seq: 3,
        payload: { outputs: null, status: 'ok', duration_ms: 12.5, yield_count: 0 },
      },
      op_yield: { ...trace, op_name: 'agent.plan', seq: 1, payload: { yielded: 'chunk', idx: 0 } },
      annotation: { ...trace, op_name: 'agent.plan', payload: { key: 'tenant', value: 'acme' } },
      group_start: { ...trace, payload: { name: 'retry', attempt: 1 } },
      group_end: { ...trace, seq: 4, payload: { name: 'retry', status: 'ok' } },
      llm_usage: {
        ...trace,
        op_name: 'agent.plan',
        seq: 2,
        payload: {
          model: 'qwen3-4b',
          prompt_tokens: 120,
          completion_tokens: 30,
          total_tokens: 150,
          cost_usd: 0.0004,
        },
      },
      media_ref: {
        ...trace,
        op_name: 'agent.plan',
        payload: { handle: 's3://bucket/img.png', mime: 'image/png', size_bytes: 2048 },
      },
    })[kind],
  pipeline: (kind) =>
    kind === 'transition'
      ? {
          node_id: 'node-1',
          story_id: 'story-1',
          from_stage: 'draft',
          to_stage: 'review',
          pipeline_event: 'submit',
          event_seq: 0,
          at: AT,
        }
      : { node_id: 'node-1', from_id: 3, to_id: 5 },
  agent: (kind) => ({ ...thread, ...(AGENT_EXTRAS[kind] ?? {}) }),
  canonical: (kind) => ({
    kind,
    fidelity: 'domain',
    scopes: [
      { type: 'thread', id: 'thread-1' },
      { type: 'run', id: 'run-1' },
    ],
    visibility: 'public',
    origin: 'normalizer',
    source_cursor: '1',
    payload: {},
  }),
  producer: () => ({
    source: 'example/producer@host-1',
    from_sourceseq: 101,
    to_sourceseq: 200,
    dropped: 100,
    at: AT,
    families: { trace: 60, engine: 40 },
  }),
};

/** A valid `data` payload of one kind (a fresh object each call). */
export function exampleData<F extends Family>(family: F, kind: KindOf<F>): Record<string, unknown> {
  const build: (kind: KindOf<F>) => Record<string, unknown> = DATA[family];
  return structuredClone(build(kind));
}

/** A complete, valid structured-mode envelope of one kind (every attribute present). */
export function exampleEvent<F extends Family>(
  family: F,
  kind: KindOf<F>,
  overrides: Partial<CloudEventEnvelope> = {},
): CloudEventEnvelope {
  const data = exampleData(family, kind);
  const key = dataKey(family, data);
  return {
    specversion: '1.0',
    id: `${family}-${kind}-1`,
    source: 'example/producer@host-1',
    type: eventType(family, kind),
    time: AT,
    ...(key === undefined ? {} : { subject: subjectAttribute(key) }),
    datacontenttype: 'application/json',
    sourceseq: 1,
    data,
    ...overrides,
  };
}

/** Every family and kind, for tests that must cover them all. */
export const ALL_KINDS: readonly { readonly family: Family; readonly kind: string }[] = (
  Object.keys(KINDS) as Family[]
).flatMap((family) => KINDS[family].map((kind) => ({ family, kind })));
