import { testStoreKinds, uniqueName } from '@runlog/testing';
import { type LeaseAnswer } from '../../apps/lease-history/src/query/lease-query.service';
import {
  expectedView,
  getJson,
  type LeaseFixture,
  leaseEvent,
  startLeaseFixture,
  t,
} from './lease-fixtures';

// A lease answer lists at most 100 anomalies (the first, in cursor order) and counts the
// rest, in GET /v1/executions/{id}/lease and in GET /v1/leases; on NATS and each store.
describe.each(testStoreKinds())('lease-history anomalies cap on NATS and %s', (kind) => {
  let fx: LeaseFixture;
  let url: string;
  beforeAll(async () => {
    fx = await startLeaseFixture(kind);
    url = (await fx.service()).url;
  });
  afterAll(async () => {
    await fx?.close();
  }, 30_000);

  it('answers the first 100 of 150 anomalies and anomalies_omitted: 50', async () => {
    const id = uniqueName('anomalous');
    const owner = uniqueName('owner');
    // Every renewal by another worker than the owner is an anomaly: 150 of them.
    const events = [
      leaseEvent('acquired', id, t(0), { worker_instance_id: owner, lease_id: 'L1' }),
      ...Array.from({ length: 150 }, (_, i) =>
        leaseEvent('renewed', id, t(1 + i), { worker_instance_id: 'intruder', lease_id: 'L1' }),
      ),
    ];
    const published = await fx.publish(events);
    await fx.settled();
    const whole = expectedView(id, published)!;
    expect(whole.anomalies).toHaveLength(150);

    const lease = await getJson<LeaseAnswer>(
      `${url}/v1/executions/${encodeURIComponent(id)}/lease`,
    );
    expect(lease.status).toBe(200);
    expect(lease.body).toEqual({
      ...whole,
      anomalies: whole.anomalies.slice(0, 100),
      anomalies_omitted: 50,
    });
    expect(lease.body.anomalies.map((a) => a.cursor)).toEqual(
      published.slice(1, 101).map((e) => e.cursor),
    );

    const listed = await getJson<{ leases: LeaseAnswer[] }>(
      `${url}/v1/leases?owner=${encodeURIComponent(owner)}`,
    );
    expect(listed.body.leases).toEqual([lease.body]);
  });

  it('leaves anomalies_omitted out when nothing is omitted', async () => {
    const id = uniqueName('calm');
    const published = await fx.publish([
      leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1' }),
      leaseEvent('renewed', id, t(1), { worker_instance_id: 'w2' }),
    ]);
    await fx.settled();
    const lease = await getJson<LeaseAnswer>(
      `${url}/v1/executions/${encodeURIComponent(id)}/lease`,
    );
    expect(lease.body).toEqual(expectedView(id, published));
    expect(lease.body.anomalies).toHaveLength(1);
    expect(Object.keys(lease.body)).not.toContain('anomalies_omitted');
  });
});
