import {
  type DeliveredEvent,
  DURABLES,
  type KindOf,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { uniqueName } from '@runlog/testing';
import { Registry } from 'prom-client';
import { TraceMetrics } from '../../apps/trace-store/src/projection/trace-metrics';
import { type TraceEventRow } from '../../apps/trace-store/src/trace/trace-model';
import {
  TraceProjectionConsumer,
  type TraceProjectionOptions,
} from '../../apps/trace-store/src/projection/trace-projection.consumer';
import {
  MIGRATIONS,
  SCHEMA,
  type TraceStoreDb,
} from '../../apps/trace-store/src/store/trace-store.schema';
import { traceStoreService } from '../../apps/trace-store/src/trace-store.service-definition';
import { typedEvent } from '../bus/bus-fixtures';
import { type ProjectionFixture, startProjectionFixture } from '../projection-fixture';

export interface TraceFixture extends ProjectionFixture<TraceStoreDb> {
  /** A projection instance built by hand (no Nest app), with its own connection and metrics. */
  projector(
    options?: TraceProjectionOptions,
    metrics?: (registry: Registry) => TraceMetrics,
  ): Promise<{ registry: Registry; stop(): Promise<void> }>;
}

export async function startTraceFixture(
  kind: 'pglite' | 'postgres',
  env?: Readonly<Record<string, string>>,
): Promise<TraceFixture> {
  const fx = await startProjectionFixture<TraceStoreDb>({
    kind,
    env,
    service: traceStoreService,
    portVariable: 'TRACE_STORE_PORT',
    storeName: 'trace-store',
    schema: SCHEMA,
    migrations: MIGRATIONS,
    streams: [streamName('trace')],
    durable: DURABLES.traceStore,
  });
  return {
    ...fx,
    projector: async (options = {}, custom) => {
      const registry = new Registry();
      const metrics =
        custom?.(registry) ??
        new TraceMetrics(registry, () => Promise.resolve({ pending: 0, inFlight: 0 }));
      const consumer = new TraceProjectionConsumer(
        await fx.connect(),
        await fx.store(),
        metrics,
        options,
      );
      await consumer.onApplicationBootstrap();
      let stopped: Promise<void> | undefined;
      const stop = () => (stopped ??= consumer.onModuleDestroy());
      fx.onClose(stop);
      return { registry, stop };
    },
  };
}

/** The instant `ms` milliseconds after a fixed start, RFC 3339. */
export const at = (ms: number): string => new Date(Date.UTC(2026, 10, 23, 9) + ms).toISOString();

/**
 * A trace written as a producer would: one event per line, `seq` counting from 0 and the
 * timestamps `ms` apart. `op(...)` lines name kind, op name, ctx and payload.
 */
export class TraceBuilder {
  readonly events: RunlogEvent<'trace'>[] = [];
  private seq = 0;

  constructor(
    readonly requestId = uniqueName('req'),
    private readonly stepMs = 10,
    private readonly startMs = 0,
  ) {}

  add(
    kind: KindOf<'trace'>,
    opName: string | undefined,
    ctx: readonly string[],
    payload: Record<string, unknown>,
  ): this {
    const seq = this.seq++;
    const data: Record<string, unknown> = {
      event_id: `${this.requestId}-e${seq}`,
      request_id: this.requestId,
      ctx,
      timestamp: at(this.startMs + seq * this.stepMs),
      seq,
      payload,
    };
    if (opName !== undefined) data.op_name = opName;
    const event = typedEvent('trace', kind, uniqueName('ce'), data);
    this.events.push(event);
    return this;
  }

  start(op: string, ctx: readonly string[] = ['main']): this {
    return this.add('op_start', op, ctx, { inputs: {} });
  }

  end(op: string, status = 'ok', ctx: readonly string[] = ['main'], yields = 0): this {
    return this.add('op_end', op, ctx, {
      outputs: null,
      status,
      duration_ms: 5,
      yield_count: yields,
    });
  }

  usage(
    op: string,
    model: string,
    prompt: number,
    completion: number,
    cost: number,
    ctx: readonly string[] = ['main'],
  ): this {
    return this.add('llm_usage', op, ctx, {
      model,
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      cost_usd: cost,
    });
  }
}

/** The rows the store keeps for published events (what the pure model reads). */
export function rowsOf(events: readonly DeliveredEvent<'trace'>[]): TraceEventRow[] {
  return events.map((event) => ({
    cursor: event.cursor,
    event_id: event.data.event_id,
    kind: event.kind,
    op_name: event.data.op_name ?? null,
    ctx: event.data.ctx,
    timestamp: new Date(event.data.timestamp).toISOString(),
    seq: event.data.seq,
    payload: event.data.payload as unknown as Record<string, unknown>,
  }));
}

/** A generator trace: an agent op, a retry group, an LLM call per attempt, a yielding generator. */
export function generatorTrace(requestId = uniqueName('gen')): TraceBuilder {
  return new TraceBuilder(requestId)
    .start('agent')
    .add('group_start', undefined, ['main'], { name: 'retry', attempt: 1 })
    .start('agent.llm')
    .usage('agent.llm', 'gpt-x', 100, 20, 0.002)
    .add('annotation', 'agent.llm', ['main'], { key: 'tenant', value: 'acme' })
    .end('agent.llm')
    .add('group_end', undefined, ['main'], { name: 'retry', status: 'ok' })
    .start('agent.stream', ['main', 'yield_0'])
    .add('op_yield', 'agent.stream', ['main', 'yield_0'], { yielded: 'a', idx: 0 })
    .add('media_ref', 'agent.stream', ['main', 'yield_0'], {
      handle: 's3://b/1.png',
      mime: 'image/png',
      size_bytes: 10,
    })
    .end('agent.stream', 'ok', ['main', 'yield_0'], 1)
    .start('agent.tool')
    .end('agent');
}
