import { type DeliveredEvent, streamName } from '@runlog/contracts';
import { testStoreKinds, uniqueName } from '@runlog/testing';
import { LeaseMetrics } from '../../apps/lease-history/src/projection/lease-metrics';
import { type LeaseView } from '../../apps/lease-history/src/projection/lease-state';
import { sample } from '../normalizer/normalizer-fixtures';
import {
  completed,
  expectedView,
  getJson,
  type LeaseFixture,
  leaseEvent,
  startLeaseFixture,
  t,
} from './lease-fixtures';
import { withFixture } from '../use-fixture';

interface HistoryBody {
  events: Array<{ cursor: string }>;
}

/** A few executions with a mixed life each: acquire, renewals, an expiry or reclaim, a revoke. */
function workload(executions: number) {
  const ids = Array.from({ length: executions }, () => uniqueName('exec'));
  const leases = ids.flatMap((id, i) => [
    leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1', lease_id: `L-${i}` }),
    leaseEvent('renewed', id, t(1), { worker_instance_id: 'w1', lease_id: `L-${i}` }),
    i % 3 === 0
      ? leaseEvent('expired', id, t(2))
      : leaseEvent('renewed', id, t(2), { worker_instance_id: i % 2 ? 'w1' : 'w2' }),
    leaseEvent('reclaimed', id, t(3), { new_owner: 'w3', new_lease_id: `M-${i}` }),
    i % 4 === 0
      ? leaseEvent('revoked', id, t(4), { revoked_by: 'reconciler' })
      : leaseEvent('renewed', id, t(4), { worker_instance_id: 'w3' }),
  ]);
  // Interleaved as concurrent executions arrive.
  const interleaved = leases
    .map((event, index) => ({ event, order: (index % 5) * executions + Math.floor(index / 5) }))
    .sort((a, b) => a.order - b.order)
    .map(({ event }) => event);
  return { ids, leases: interleaved, completions: ids.map((id) => completed(id, 'success', t(5))) };
}

// Crashes, replicas, gaps and restarts, on a NATS server of its own and each store.
describe.each(testStoreKinds())('lease-history under faults on %s', (kind) => {
  let fx: LeaseFixture;
  withFixture(
    () => startLeaseFixture(kind),
    (started) => (fx = started),
  );

  async function viewsOf(url: string, ids: readonly string[]): Promise<Array<LeaseView | number>> {
    return Promise.all(
      ids.map(async (id) => {
        const answer = await getJson<LeaseView>(
          `${url}/v1/executions/${encodeURIComponent(id)}/lease`,
        );
        return answer.status === 200 ? answer.body : answer.status;
      }),
    );
  }

  it('a batch that fails after its commit, before the ack, is redelivered and written once', async () => {
    let calls = 0;
    const failOnce = (registry: Parameters<typeof sample>[0]) =>
      new (class extends LeaseMetrics {
        override batch(...args: Parameters<LeaseMetrics['batch']>): void {
          calls++;
          if (calls === 1) throw new Error('crash after commit, before ack');
          super.batch(...args);
        }
      })(registry, () => Promise.resolve({ pending: 0, inFlight: 0 }));
    await fx.projector({ backoff: { initialMs: 20, maxMs: 50 } }, failOnce);
    const { ids, leases } = workload(3);
    const published = await fx.publish(leases);
    await fx.settled();
    expect(calls).toBeGreaterThan(1); // the failed batch came back

    const { url } = await fx.service();
    for (const id of ids) {
      const history = await getJson<HistoryBody>(
        `${url}/v1/executions/${encodeURIComponent(id)}/lease-history`,
      );
      const own = published.filter((e) => e.data.execution_id === id).map((e) => e.cursor);
      expect(history.body.events.map((e) => e.cursor)).toEqual(own);
    }
    expect(await viewsOf(url, ids)).toEqual(ids.map((id) => expectedView(id, published)));
  });

  it('two projection instances on one durable give the same answers as one', async () => {
    const options = { batchSize: 5, maxAckPending: 10 };
    const replicas = [await fx.projector(options), await fx.projector(options)];
    const { ids, leases, completions } = workload(12);
    const published = await fx.publish(leases);
    const done = await fx.publish(completions);
    await fx.settled();
    const applied = await Promise.all(
      replicas.map((r) => sample(r.registry, 'runlog_lease_history_events_applied_total')),
    );
    expect(applied.every((count) => count > 0)).toBe(true);
    await Promise.all(replicas.map((r) => r.stop()));

    const { url } = await fx.service();
    expect(await viewsOf(url, ids)).toEqual(ids.map((id) => expectedView(id, published, done)));
  });

  it('stores and shows a gap when events were removed before the durable read them', async () => {
    const first = await fx.projector();
    await first.stop(); // the durable exists, and nobody reads
    const id = uniqueName('gap');
    const published = await fx.publish([
      leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1' }),
      leaseEvent('renewed', id, t(1), { worker_instance_id: 'w1' }),
      leaseEvent('renewed', id, t(2), { worker_instance_id: 'w1' }),
      leaseEvent('expired', id, t(3)),
    ]);
    // Retention (max_msgs here) removes the oldest two before anyone read them. (A purge
    // would not do: the server moves every consumer past purged messages.)
    const stream = streamName('lease_history');
    const { config } = await fx.bus.manager.streams.info(stream);
    await fx.bus.manager.streams.update(stream, { ...config, max_msgs: 2 });
    const { url } = await fx.service();
    await fx.settled();
    const gaps = await getJson<{ gaps: unknown[] }>(`${url}/v1/lease-history/gaps`);
    expect(gaps.body.gaps).toEqual([
      expect.objectContaining({
        consumer: 'lease-history',
        family: 'lease_history',
        from_cursor: published[0]!.cursor,
        to_cursor: published[1]!.cursor,
        missing: 2,
      }),
    ]);
    const kept: DeliveredEvent<'lease_history'>[] = published.slice(2);
    expect(await viewsOf(url, [id])).toEqual([expectedView(id, kept)]);
  });

  it('keeps everything across a restart of the service, and goes on from where it was', async () => {
    const { ids, leases, completions } = workload(4);
    const first = await fx.service();
    const published = await fx.publish(leases);
    const done = await fx.publish(completions);
    await fx.settled();
    const before = await viewsOf(first.url, ids);
    await first.close();

    const second = await fx.service();
    expect(await viewsOf(second.url, ids)).toEqual(before);
    expect(before).toEqual(ids.map((id) => expectedView(id, published, done)));
    // ... and it goes on from where it was.
    const [later] = await fx.publish([
      leaseEvent('revoked', ids[1]!, t(9), { revoked_by: 'operator' }),
    ]);
    await fx.settled();
    const [after] = await viewsOf(second.url, [ids[1]!]);
    expect(after).toMatchObject({ state: 'revoked', cursor: later!.cursor });
  });
});
