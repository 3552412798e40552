import { type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/transport-node';
import { type Bus, type BusMetrics, NOOP_BUS_METRICS } from '../libs/bus/src';
import {
  type CloudEventEnvelope,
  decode,
  encode,
  eventSubject,
  exampleData,
  exampleEvent,
  type RunlogEvent,
  streamName,
} from '../libs/contracts/src';

/** The family stream every measurement writes to and reads from. */
export const STREAM = streamName('trace');
/** Distinct partition keys (subjects), as in PERF.md. */
export const SUBJECTS = 1_000;
/** In-flight publishes of the pipelined measurements (the Publisher's default window). */
export const WINDOW = 512;

/** One row of the table. */
export interface Measurement {
  readonly id: number;
  readonly name: string;
  readonly side: 'raw' | 'runlog';
  readonly messages: number;
  readonly seconds: number;
  readonly rate: number;
  /** False when the time budget ran out before all messages were done. */
  readonly complete: boolean;
  /** The rate of every run when the row is the median of several. */
  readonly runs?: readonly number[];
}

export interface BenchContext {
  readonly bus: Bus;
  /** A second connection for the raw measurements, with the bus's options (`noAsyncTraces`). */
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Acks per durable, fed by the bus's metrics hook. */
  readonly acks: AckCounter;
  /** Messages per pipelined / consumer measurement. */
  readonly n: number;
  /** Messages per one-at-a-time publish measurement. */
  readonly nOne: number;
  /** Wall-clock budget per measurement. */
  readonly budgetMs: number;
  /** Unique per run: event ids and durable names never repeat (the dedupe window is 2 min). */
  readonly tag: string;
  /** The NATS server every connection (and every spawned service) uses. */
  readonly url: string;
}

/** A raw publish: subject, the envelope (serialized inside the timed loop) and the msgID. */
export interface RawItem {
  readonly subject: string;
  readonly envelope: CloudEventEnvelope;
  readonly id: string;
}

/** `count` valid trace `op_start` events with unique ids over {@link SUBJECTS} keys. */
export function traceEvents(count: number, prefix: string): RunlogEvent[] {
  // One example, shallow-copied per event (nothing writes to events): building and
  // cloning the example for each of 100,000 events took longer than publishing them.
  const envelope = exampleEvent('trace', 'op_start');
  const example = exampleData('trace', 'op_start');
  return Array.from({ length: count }, (_, i) => {
    const key = `req-${i % SUBJECTS}`;
    const data = { ...example, request_id: key, seq: i };
    const result = decode({ ...envelope, id: `${prefix}-${i}`, subject: key, data });
    if (!result.ok) throw new Error(`bad bench event: ${JSON.stringify(result.errors)}`);
    return result.value;
  });
}

/** The same events for the raw client: nothing of runlog's runs inside the timed loop. */
export function rawItems(events: readonly RunlogEvent[]): RawItem[] {
  return events.map((event) => ({
    subject: eventSubject(event),
    envelope: encode(event),
    id: event.id,
  }));
}

/**
 * Runs `step` over `items` with `window` in flight (each lane awaits its own step), until
 * all are done or `deadline` (a performance.now() time) passes; answers how many ran.
 */
export async function inLanes<T>(
  items: readonly T[],
  window: number,
  step: (item: T) => Promise<unknown>,
  deadline = Infinity,
): Promise<number> {
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && performance.now() < deadline) {
      await step(items[next++] as T);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, lane));
  return done;
}

/** Bytes of one serialized event (the NATS payload, without headers). */
export function payloadBytes(): number {
  const [event] = traceEvents(1, 'size-probe-00000000') as [RunlogEvent];
  return Buffer.byteLength(JSON.stringify(encode(event)));
}

/** Counts acks per durable and resolves a waiter when a target is reached: no polling, no sleeps. */
export class AckCounter {
  private readonly counts = new Map<string, number>();
  private readonly waiters = new Map<string, { target: number; resolve: () => void }>();

  /** A `BusMetrics` whose `acked` feeds this counter (the bus calls it right after `ack()`). */
  readonly metrics: BusMetrics = {
    ...NOOP_BUS_METRICS,
    acked: (consumer, count) => this.add(consumer, count),
  };

  add(durable: string, count = 1): void {
    const total = (this.counts.get(durable) ?? 0) + count;
    this.counts.set(durable, total);
    const waiter = this.waiters.get(durable);
    if (waiter && total >= waiter.target) {
      this.waiters.delete(durable);
      waiter.resolve();
    }
  }

  count(durable: string): number {
    return this.counts.get(durable) ?? 0;
  }

  /** Resolves once `durable` has `target` acks. */
  reached(durable: string, target: number): Promise<void> {
    if (this.count(durable) >= target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(durable, { target, resolve }));
  }
}

/** Resolves with true when `done` settles first, false when `ms` pass first. */
export async function within(done: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([done.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A row from a count and start / end times (`performance.now()`). */
export function measured(
  id: number,
  name: string,
  side: Measurement['side'],
  messages: number,
  started: number,
  complete: boolean,
  ended = performance.now(),
): Measurement {
  const seconds = (ended - started) / 1000;
  return { id, name, side, messages, seconds, rate: messages / seconds, complete };
}

/** Empties the trace stream, then (for consumer measurements) fills it with `n` fresh events. */
export async function prepareStream(ctx: BenchContext, fill: number, label: string): Promise<void> {
  await ctx.bus.manager.streams.purge(STREAM);
  if (fill === 0) return;
  const results = await ctx.bus.publishMany(traceEvents(fill, `${ctx.tag}-${label}-fill`));
  const failed = results.filter((result) => !result.ok).length;
  if (failed > 0)
    throw new Error(`${failed} of ${fill} events could not be published for ${label}`);
}

/** p50, p99 and max of `times` (milliseconds, sorted here), rounded to 0.01 ms. */
export function percentiles(times: number[]): { p50: number; p99: number; max: number } {
  times.sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0) * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}
