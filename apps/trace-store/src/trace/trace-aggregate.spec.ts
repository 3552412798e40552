import { seeded, shuffled } from '@runlog/testing';
import {
  type Arrival,
  randomDeliveries,
  randomTrace,
} from '../../../../test/trace-store/random-traces';
import { readAggregate, writeState } from '../store/trace-state';
import {
  addEvents,
  type AggregateEvent,
  extendsInOrder,
  isMarker,
  summaryOf,
  type TraceAggregate,
  usageTotals,
} from './trace-aggregate';
import { type TraceEventRow, traceSummary, traceUsage } from './trace-model';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** A stored event as the aggregate and as the model read it. */
interface Stored {
  readonly aggregate: AggregateEvent;
  readonly row: TraceEventRow;
}

function stored({ cursor, event }: Arrival): Stored {
  const { data } = event;
  const aggregate: AggregateEvent = {
    event_id: data.event_id,
    cursor,
    kind: event.kind,
    op_name: data.op_name ?? null,
    ctx: data.ctx,
    ts_ms: Date.parse(data.timestamp),
    seq: data.seq,
    payload: data.payload,
  };
  const row: TraceEventRow = {
    cursor: String(cursor),
    event_id: data.event_id,
    kind: event.kind,
    op_name: data.op_name ?? null,
    ctx: data.ctx,
    timestamp: new Date(data.timestamp).toISOString(),
    seq: data.seq,
    payload: data.payload,
  };
  return { aggregate, row };
}

/** What the summary row and usage rows hold for an aggregate, in the model's terms. */
function answers(requestId: string, aggregate: TraceAggregate) {
  const summary = summaryOf(aggregate);
  return {
    summary: {
      request_id: requestId,
      started_at: new Date(summary.started_ms).toISOString(),
      ended_at: new Date(summary.ended_ms).toISOString(),
      duration_ms: summary.duration_ms,
      status: summary.status,
      ops: summary.ops,
      errors: summary.errors,
      total_tokens: summary.total_tokens,
      cost_usd: summary.cost_usd,
      op_names: summary.op_names,
    },
    events: summary.events,
    by_model: [...aggregate.usage]
      .map(([model, usage]) => ({ model, ...usageTotals(usage) }))
      .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0)),
  };
}

function expected(requestId: string, rows: readonly TraceEventRow[]) {
  return {
    summary: traceSummary(requestId, rows),
    events: rows.length,
    by_model: traceUsage(requestId, rows).by_model,
  };
}

/**
 * Folds deliveries as the projection does: the first of each (request_id, event_id) is
 * stored, only fresh events are added, markers out of order replay the stored markers, and
 * the aggregate goes through its stored form between batches.
 */
function project(
  batches: readonly Arrival[][],
  check: (id: string, rows: TraceEventRow[], aggregate: TraceAggregate) => void,
) {
  const store = new Map<string, Map<string, Stored>>();
  const states = new Map<string, ReturnType<typeof writeState>>();
  const columns = new Map<string, TraceAggregate>();
  let replays = 0;
  for (const batch of batches) {
    const fresh = new Map<string, AggregateEvent[]>();
    for (const arrival of batch) {
      const { request_id, event_id } = arrival.event.data;
      const trace = store.get(request_id) ?? new Map<string, Stored>();
      store.set(request_id, trace);
      if (trace.has(event_id)) continue;
      const event = stored(arrival);
      trace.set(event_id, event);
      fresh.set(request_id, [...(fresh.get(request_id) ?? []), event.aggregate]);
    }
    for (const [id, events] of fresh) {
      const row = columns.get(id);
      const state = states.get(id);
      // Through the stored form: the columns plus the JSON state, as SQL keeps them.
      const previous =
        row && state
          ? readAggregate({
              ...row,
              state: JSON.parse(JSON.stringify(state)) as typeof state,
            })
          : undefined;
      const all = [...(store.get(id)?.values() ?? [])];
      const inOrder = extendsInOrder(previous, events);
      if (!inOrder) replays += 1;
      const markers = inOrder
        ? undefined
        : all.map((e) => e.aggregate).filter((e) => isMarker(e.kind));
      const next = addEvents(previous, events, markers);
      columns.set(id, next);
      states.set(id, writeState(next));
      check(
        id,
        all.map((e) => e.row),
        next,
      );
    }
  }
  return { store, aggregates: columns, replays };
}

describe('trace aggregate', () => {
  it('answers what the model answers after every batch, for random traces, orders, duplicates and batch splits', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = seeded(seed);
      const traces = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, t) =>
        randomTrace(random, `req-${seed}-${t}`, 1 + Math.floor(random() * 60)),
      );
      const batches = randomDeliveries(random, traces, 1 + Math.floor(random() * 25));
      let checks = 0;
      const { replays } = project(batches, (id, rows, aggregate) => {
        checks += 1;
        expect([seed, id, answers(id, aggregate)]).toEqual([seed, id, expected(id, rows)]);
      });
      expect(checks).toBeGreaterThan(0);
      void replays;
    }
  });

  it('extends in order without replaying, and replays when a marker arrives early', () => {
    const random = seeded(99);
    // Sent in the model's order (timestamp, then seq), one event per batch.
    const trace = randomTrace(random, 'req-order', 80).sort(
      (a, b) =>
        Date.parse(a.data.timestamp) - Date.parse(b.data.timestamp) || a.data.seq - b.data.seq,
    );
    const split = trace.map((event, i) => [{ cursor: i + 1, event }]);
    expect(project(split, () => undefined).replays).toBe(0);
    const reversed = [...split].reverse();
    expect(project(reversed, () => undefined).replays).toBeGreaterThan(0);
  });

  it('rebuilds a whole trace from nothing, in any input order', () => {
    const random = seeded(5);
    const trace = randomTrace(random, 'req-whole', 120);
    const rows = trace.map((event, i) => stored({ cursor: 10 + i, event }));
    const want = expected(
      'req-whole',
      rows.map((r) => r.row),
    );
    for (let round = 0; round < 10; round++) {
      const input = shuffled(rows, random).map((r) => r.aggregate);
      expect(answers('req-whole', addEvents(undefined, input))).toEqual(want);
    }
  });

  it('answers the same cost for any arrival order, where running float sums round apart', () => {
    // In event order a float sum rounds to 0.400000001, reversed to 0.4: the exact sum
    // makes the model, and so every arrival order and split, answer one value.
    const costs = [0.1, 5e-10, 0.3];
    const naive = (values: number[]) => Math.round(values.reduce((s, v) => s + v, 0) * 1e9) / 1e9;
    expect(naive(costs)).not.toBe(naive([...costs].reverse()));
    const rows = costs.map((cost, i) =>
      stored({
        cursor: i + 1,
        event: {
          kind: 'llm_usage',
          data: {
            event_id: `u${i}`,
            request_id: 'req-cost',
            op_name: 'a',
            ctx: ['main'],
            timestamp: new Date(T0 + i).toISOString(),
            seq: i,
            payload: { model: 'm', total_tokens: 1, cost_usd: cost },
          },
        },
      }),
    );
    const model = traceSummary(
      'req-cost',
      rows.map((r) => r.row),
    )!.cost_usd;
    expect(model).toBe(0.400000001);
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
      [2, 0, 1],
    ]) {
      let aggregate: TraceAggregate | undefined;
      for (const i of order) aggregate = addEvents(aggregate, [rows[i]!.aggregate]);
      expect(summaryOf(aggregate!).cost_usd).toBe(model);
      expect(usageTotals(aggregate!.usage.get('m')!).cost_usd).toBe(model);
    }
  });

  it('keeps sub-nano costs exact across batches, where rounded sums would drift', () => {
    const usage = (i: number, cost: number): AggregateEvent => ({
      event_id: `u${i}`,
      cursor: i,
      kind: 'llm_usage',
      op_name: 'a',
      ctx: ['main'],
      ts_ms: T0 + i,
      seq: i,
      payload: { model: 'm', total_tokens: 1, cost_usd: cost },
    });
    let aggregate: TraceAggregate | undefined;
    for (let i = 0; i < 10; i++) aggregate = addEvents(aggregate, [usage(i, 4e-10)]);
    expect(summaryOf(aggregate!).cost_usd).toBe(4e-9);
    expect(summaryOf(aggregate!).total_tokens).toBe(10);
  });
});
