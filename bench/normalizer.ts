// The normalizer's consumer over a pre-filled RUNLOG_AGENT: what the per-run order check,
// the run state in KV and the canonical publish cost next to a raw durable consume.
import { Kvm } from '@nats-io/kv';
import { Registry } from 'prom-client';
import { NormalizerConsumer } from '../apps/normalizer/src/consumer/normalizer.consumer';
import { NormalizerMetrics } from '../apps/normalizer/src/consumer/normalizer-metrics';
import { RUN_STATE_BUCKET } from '../apps/normalizer/src/run-state/run-state-store';
import {
  decode,
  DURABLES,
  exampleData,
  exampleEvent,
  type KindOf,
  type RunlogEvent,
  streamName,
  subjectAttribute,
} from '../libs/contracts/src';
import { loadConfig } from '../libs/platform/src/config';
import { timeConsumer } from './projection';
import { type BenchContext, type Measurement, SUBJECTS } from './setup';

const AGENT = streamName('agent');
const CANONICAL = streamName('canonical');

/**
 * `count` raw agent events over {@link SUBJECTS} runs, interleaved as concurrent runs
 * arrive: each run starts, streams text deltas, and completes a tool call every tenth event.
 */
function agentEvents(count: number, prefix: string): RunlogEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const run = `run-${i % SUBJECTS}`;
    const position = Math.floor(i / SUBJECTS);
    const kind: KindOf<'agent'> =
      position === 0 ? 'run_start' : position % 10 === 9 ? 'tool_call_done' : 'text_delta';
    const thread = `thread-${prefix}`;
    const data = { ...exampleData('agent', kind), thread_id: thread, run_id: run };
    const subject = subjectAttribute([thread, run]);
    const result = decode(exampleEvent('agent', kind, { id: `${prefix}-${i}`, subject, data }));
    if (!result.ok) throw new Error(`bad bench event: ${JSON.stringify(result.errors)}`);
    return result.value;
  });
}

/**
 * 9. The normalizer (mode `compacted`) over `n` stored raw events: timed from the start of
 * its consumer until it has acked all `n` (or the budget ends). Needs the bench's own
 * server: the durable and the KV bucket have fixed names.
 */
export async function normalizerConsume(ctx: BenchContext, id: number): Promise<Measurement> {
  const events = agentEvents(ctx.n, `${ctx.tag}-normalizer`);
  const results = await ctx.bus.publishMany(events);
  if (results.some((result) => !result.ok)) throw new Error('could not fill RUNLOG_AGENT');
  const config = loadConfig({ NATS_URL: ctx.bus.connection.getServer(), LOG_LEVEL: 'silent' });
  const metrics = new NormalizerMetrics(new Registry(), config.normalizerDurability, () =>
    Promise.resolve({ pending: 0, inFlight: 0 }),
  );
  try {
    return await timeConsumer(
      ctx,
      {
        id,
        name: 'runlog normalizer (compacted), raw agent -> canonical',
        durable: DURABLES.normalizer,
      },
      ['agent'],
      new NormalizerConsumer(ctx.bus, config, metrics),
    );
  } finally {
    await ctx.jsm.streams.purge(AGENT);
    await ctx.jsm.streams.purge(CANONICAL);
    await new Kvm(ctx.bus.connection).open(RUN_STATE_BUCKET).then((kv) => kv.destroy());
  }
}
