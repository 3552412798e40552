import { type RunlogEvent } from '@runlog/contracts';
import { testStoreKinds, uniqueName } from '@runlog/testing';
import { TraceMetrics } from '../../apps/trace-store/src/projection/trace-metrics';
import { traceSummary, traceUsage } from '../../apps/trace-store/src/trace/trace-model';
import { buildTree } from '../../apps/trace-store/src/trace/trace-tree';
import { sample } from '../normalizer/normalizer-fixtures';
import { getJson } from '../projection-fixture';
import { generatorTrace, rowsOf, type TraceFixture, startTraceFixture } from './trace-fixtures';
import { withFixture } from '../use-fixture';

/** A fixed permutation that scatters neighbours: reversed halves, interleaved. */
function scrambled<T>(items: readonly T[]): T[] {
  const half = Math.ceil(items.length / 2);
  const [a, b] = [items.slice(0, half).reverse(), items.slice(half).reverse()];
  return a.flatMap((item, i) => (i < b.length ? [b[i]!, item] : [item]));
}

// Reordering, redelivery and replicas, on a NATS server of its own and each store.
describe.each(testStoreKinds())('trace-store under faults on %s', (kind) => {
  let fx: TraceFixture;
  withFixture(
    () => startTraceFixture(kind),
    (started) => (fx = started),
  );

  async function answers(url: string, id: string) {
    const path = `${url}/v1/traces/${encodeURIComponent(id)}`;
    const [tree, usage, search] = await Promise.all([
      getJson(`${path}/tree`),
      getJson(`${path}/usage`),
      getJson<{ traces: Array<{ request_id: string }> }>(`${url}/v1/traces?limit=1000`),
    ]);
    return {
      tree: tree.body,
      usage: usage.body,
      summary: search.body.traces.find((t) => t.request_id === id),
    };
  }

  it('a trace arriving scrambled over many small batches, one of them redelivered after its commit, gives the same tree, usage and summary as in order', async () => {
    let calls = 0;
    await fx.projector(
      { batchSize: 3, backoff: { initialMs: 20, maxMs: 50 } },
      (registry) =>
        new (class extends TraceMetrics {
          override batch(...args: Parameters<TraceMetrics['batch']>): void {
            if (++calls === 2) throw new Error('crash after commit, before ack');
            super.batch(...args);
          }
        })(registry, () => Promise.resolve({ pending: 0, inFlight: 0 })),
    );
    const builder = generatorTrace();
    const published = await fx.publish(scrambled(builder.events));
    await fx.settled();
    expect(calls).toBeGreaterThan(Math.ceil(published.length / 3)); // one batch came back

    const { url } = await fx.service();
    const rows = rowsOf(published);
    const got = await answers(url, builder.requestId);
    expect(got.tree).toEqual(buildTree(builder.requestId, rows));
    expect(got.usage).toEqual(traceUsage(builder.requestId, rows));
    const { op_names: _names, ...summary } = traceSummary(builder.requestId, rows)!;
    void _names;
    expect(got.summary).toEqual(summary);
  });

  it('two projection instances on one durable give the same answers as one', async () => {
    const options = { batchSize: 3, maxAckPending: 6 };
    const replicas = [await fx.projector(options), await fx.projector(options)];
    const builders = Array.from({ length: 6 }, () => generatorTrace(uniqueName('rep')));
    // Concurrent traces: event i of each, then event i + 1 ...
    const interleaved: RunlogEvent<'trace'>[] = builders[0]!.events.flatMap((_, i) =>
      builders.map((b) => b.events[i]!),
    );
    const published = await fx.publish(interleaved);
    await fx.settled();
    const stored = await Promise.all(
      replicas.map((r) => sample(r.registry, 'runlog_trace_store_events_stored_total')),
    );
    expect(stored.every((count) => count > 0)).toBe(true);
    expect(stored[0]! + stored[1]!).toBe(published.length);

    const { url } = await fx.service();
    for (const builder of builders) {
      const rows = rowsOf(published.filter((e) => e.data.request_id === builder.requestId));
      const got = await answers(url, builder.requestId);
      expect(got.tree).toEqual(buildTree(builder.requestId, rows));
      expect(got.usage).toEqual(traceUsage(builder.requestId, rows));
    }
  });
});
