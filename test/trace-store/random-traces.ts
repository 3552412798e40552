// Random traces and random deliveries of them, repeatable from a seed: the input of the
// property tests that hold the incremental summaries (trace-aggregate.ts) to the pure
// model (trace-model.ts), in memory and through the SQL projection on both stores.
import { type KindOf } from '@runlog/contracts';
import { shuffled } from '@runlog/testing';

/** One trace event as a producer writes it: its kind and its `data`. */
export interface RandomEvent {
  readonly kind: KindOf<'trace'>;
  readonly data: {
    readonly event_id: string;
    readonly request_id: string;
    readonly op_name?: string;
    readonly ctx: readonly string[];
    readonly timestamp: string;
    readonly seq: number;
    readonly payload: Record<string, unknown>;
  };
}

/** An event as one delivery brings it: the stream sequence it arrived at, and the event. */
export interface Arrival {
  readonly cursor: number;
  readonly event: RandomEvent;
}

// Names with what SQL arrays and JSON quote ("{},\) and beyond the BMP, next to plain ones.
const OPS = ['agent', 'agent.llm', 'agent.llm.call', 'tool', 'odd "op", {x}\\ 🙂'];
const CTXS: readonly (readonly string[])[] = [['main'], ['main', 'yield_0'], ['w', '"q",{}']];
const GROUPS = ['retry', 'fanout'];
const MODELS = ['m-a', 'm-b', 'gpt-x', 'm "q" 🙂'];
const T0 = Date.UTC(2026, 10, 23, 9);

/**
 * A trace of `length` events. Half are nested properly (every start ends, innermost first),
 * so they finish ok, cancelled or error; the rest are noise with the broken shapes real
 * producers send: ends without starts, starts never ended, usage after its end, timestamps
 * against seq order. All share timestamps now and then and carry tiny and odd costs.
 */
export function randomTrace(
  random: () => number,
  requestId: string,
  length: number,
): RandomEvent[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const errorRate = random() < 0.5 ? 0 : 0.15;
  const cancelRate = random() < 0.5 ? 0 : 0.15;
  const start = T0 + Math.floor(random() * 1_000_000);
  const nested = random() < 0.5;
  const open: Array<{ group: boolean; name: string; ctx: readonly string[] }> = [];
  const events: RandomEvent[] = [];
  for (let seq = 0; seq < length; seq++) {
    const kind = nested ? nestedKind(random, open, length - seq) : noiseKind(random());
    const group = kind === 'group_start' || kind === 'group_end';
    let name = pick(group ? GROUPS : OPS);
    let ctx = pick(CTXS);
    const top = open.at(-1);
    if (nested && top && kind !== 'op_start' && kind !== 'group_start') {
      ({ name, ctx } = top);
      if (kind === 'op_end' || kind === 'group_end') open.pop();
    } else if (nested && (kind === 'op_start' || kind === 'group_start')) {
      open.push({ group, name, ctx });
    }
    // Mostly increasing in steps of 0..3 ms (so shared); noise sometimes steps back in time.
    const back = !nested && random() < 0.1 ? 7 : 0;
    const ms = start + seq * 2 + Math.floor(random() * 4) - back;
    const payload = payloadOf(kind, random, pick, errorRate, cancelRate);
    events.push({
      kind,
      data: {
        event_id: `${requestId}-e${seq}`,
        request_id: requestId,
        ...(group ? (random() < 0.7 ? {} : { op_name: pick(OPS) }) : { op_name: name }),
        ctx,
        timestamp: new Date(ms).toISOString(),
        seq,
        payload: group ? { ...payload, name } : payload,
      },
    });
  }
  return events;
}

/** The next kind of a nested trace: close the innermost, open one, or attach to it. */
function nestedKind(
  random: () => number,
  open: ReadonlyArray<{ readonly group: boolean }>,
  left: number,
): KindOf<'trace'> {
  const top = open.at(-1);
  const roll = random();
  if (top && (left <= open.length || roll < 0.3)) return top.group ? 'group_end' : 'op_end';
  if (!top || (roll < 0.55 && left > open.length + 1))
    return random() < 0.8 || left <= open.length + 1 ? 'op_start' : 'group_start';
  const attached = ['llm_usage', 'annotation', 'op_yield', 'media_ref'] as const;
  return attached[Math.floor(random() * attached.length)] ?? 'annotation';
}

function noiseKind(roll: number): KindOf<'trace'> {
  if (roll < 0.25) return 'op_start';
  if (roll < 0.48) return 'op_end';
  if (roll < 0.63) return 'llm_usage';
  if (roll < 0.7) return 'annotation';
  if (roll < 0.76) return 'op_yield';
  if (roll < 0.8) return 'media_ref';
  return roll < 0.9 ? 'group_start' : 'group_end';
}

function payloadOf(
  kind: KindOf<'trace'>,
  random: () => number,
  pick: <T>(items: readonly T[]) => T,
  errorRate: number,
  cancelRate: number,
): Record<string, unknown> {
  switch (kind) {
    case 'op_start':
      return { inputs: { n: Math.floor(random() * 10) } };
    case 'op_end': {
      const roll = random();
      const status =
        roll < errorRate ? 'error' : roll < errorRate + cancelRate ? 'cancelled' : 'ok';
      return { outputs: null, status, duration_ms: 3, yield_count: 0 };
    }
    case 'llm_usage': {
      const prompt = Math.floor(random() * 2000);
      const completion = Math.floor(random() * 500);
      return {
        model: pick(MODELS),
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        cost_usd: randomCost(random),
      };
    }
    case 'annotation':
      return { key: 'k', value: random() };
    case 'op_yield':
      return { yielded: 'x', idx: 0 };
    case 'media_ref':
      return { handle: 's3://b/k', mime: 'image/png', size_bytes: 10 };
    case 'group_start':
      return { name: pick(GROUPS), attempt: 1 };
    case 'group_end':
      return { name: pick(GROUPS), status: random() < 0.8 ? 'ok' : 'truncated' };
  }
}

/** Costs as they come: cents, fractions of a nano-dollar, sums that sit near a rounding. */
function randomCost(random: () => number): number {
  const roll = random();
  if (roll < 0.1) return 0;
  if (roll < 0.25) return 5e-10 * Math.ceil(random() * 3);
  if (roll < 0.4) return 0.1 * Math.ceil(random() * 3);
  return random() * 10 ** -Math.floor(random() * 8);
}

/**
 * Deliveries of `traces` as a stream brings them: traces interleaved, each in order,
 * reversed or shuffled; some events resent under a new cursor (a producer's retry, maybe
 * with other content: the stored one counts) or redelivered with the same one; then cut
 * into batches of 1 to `maxBatch`.
 */
export function randomDeliveries(
  random: () => number,
  traces: readonly (readonly RandomEvent[])[],
  maxBatch: number,
): Arrival[][] {
  const queues = traces.map((events) => {
    const roll = random();
    if (roll < 0.4) return [...events];
    if (roll < 0.55) return [...events].reverse();
    return shuffled(events, random);
  });
  const sent: RandomEvent[] = [];
  while (queues.some((queue) => queue.length > 0)) {
    const open = queues.filter((queue) => queue.length > 0);
    const event = open[Math.floor(random() * open.length)]?.shift();
    if (!event) continue;
    sent.push(event);
    if (random() < 0.08) sent.push(resent(event, random));
  }
  let cursor = 0;
  const arrivals: Arrival[] = sent.map((event) => ({ cursor: ++cursor, event }));
  // Redeliveries (same cursor) a little later.
  for (let i = arrivals.length - 1; i >= 0; i--) {
    const arrival = arrivals[i];
    if (arrival && random() < 0.05) {
      const at = Math.min(arrivals.length, i + 1 + Math.floor(random() * 20));
      arrivals.splice(at, 0, arrival);
    }
  }
  const batches: Arrival[][] = [];
  for (let i = 0; i < arrivals.length;) {
    const size = 1 + Math.floor(random() * maxBatch);
    batches.push(arrivals.slice(i, i + size));
    i += size;
  }
  return batches;
}

/** The same event_id again: mostly identical, sometimes with other (valid) content. */
function resent(event: RandomEvent, random: () => number): RandomEvent {
  if (random() < 0.7) return event;
  const { data } = event;
  const cost = data.payload['cost_usd'];
  return {
    ...event,
    data: {
      ...data,
      seq: data.seq + 1000,
      timestamp: new Date(Date.parse(data.timestamp) - 5).toISOString(),
      payload: typeof cost === 'number' ? { ...data.payload, cost_usd: cost * 2 } : data.payload,
    },
  };
}
