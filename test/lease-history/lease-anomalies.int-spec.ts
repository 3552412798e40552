import { testStoreKinds, uniqueName } from '@runlog/testing';
import {
  HISTORY_PAGE_MAX_BYTES,
  type LeaseAnswer,
  LeaseQueryService,
} from '../../apps/lease-history/src/query/lease-query.service';
import {
  expectedView,
  getJson,
  type LeaseFixture,
  leaseEvent,
  startLeaseFixture,
  t,
} from './lease-fixtures';
import { withServedFixture } from '../use-fixture';

// A lease answer lists at most 100 anomalies (the first, in cursor order) and counts the
// rest, in GET /v1/executions/{id}/lease and in GET /v1/leases; a history page stops at its
// byte bound; on NATS and each store.
describe.each(testStoreKinds())(
  'lease-history bounded answers (anomalies cap, history bytes) on NATS and %s',
  (kind) => {
    let fx: LeaseFixture;
    let url: string;
    withServedFixture(
      () => startLeaseFixture(kind),
      (started, at) => ([fx, url] = [started, at]),
    );

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

    it('cuts a history page at its byte bound, and following next_after still brings every event once', async () => {
      const id = uniqueName('wide');
      // 40 renewals of ~2 KB each: a page of 1,000 is cut by a bound of 10 KB.
      const events = [
        leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1', lease_id: 'L1' }),
        ...Array.from({ length: 40 }, (_, i) =>
          leaseEvent('renewed', id, t(1 + i), {
            worker_instance_id: 'w1',
            lease_id: 'x'.repeat(2_000) + i,
          }),
        ),
      ];
      const published = await fx.publish(events);
      await fx.settled();
      const query = new LeaseQueryService(await fx.store()).withPageMaxBytes(10_000);
      const cursors: string[] = [];
      let after = 0;
      let pages = 0;
      for (;;) {
        const page = await query.history(id, after, 1_000);
        if (!page) throw new Error('no history');
        pages++;
        expect(page.events.length).toBeGreaterThan(0);
        // Within the bound, plus the one event that crosses it.
        const bytes = page.events
          .slice(0, -1)
          .reduce((n, e) => n + JSON.stringify(e.data).length, 0);
        expect(bytes).toBeLessThan(10_000);
        cursors.push(...page.events.map((e) => e.cursor));
        if (page.next_after === null) break;
        after = Number(page.next_after);
      }
      expect(pages).toBeGreaterThanOrEqual(8);
      expect(cursors).toEqual(published.map((e) => e.cursor));
      // The service's own bound lets the whole history through in one page.
      expect(HISTORY_PAGE_MAX_BYTES).toBe(8 * 1024 * 1024);
      const whole = await getJson<{ events: unknown[]; next_after: string | null }>(
        `${url}/v1/executions/${encodeURIComponent(id)}/lease-history?limit=1000`,
      );
      expect(whole.body.events).toHaveLength(41);
      expect(whole.body.next_after).toBeNull();
    });
  },
);
