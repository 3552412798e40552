import { headers as natsHeaders } from '@nats-io/transport-node';
import { DURABLES, encode, eventSubject, HEADERS, streamName } from '@runlog/contracts';
import { consumerBacklog } from '@runlog/platform';
import { testStoreKinds, uniqueName, waitFor } from '@runlog/testing';
import { type LeaseFixture, leaseEvent, startLeaseFixture, t } from './lease-fixtures';
import { withFixture } from '../use-fixture';

const LEASES = streamName('lease_history');

describe.each(testStoreKinds())(
  'lease-history: one event cannot take its batch down, on %s',
  (kind) => {
    let fx: LeaseFixture;
    withFixture(
      () => startLeaseFixture(kind),
      (started) => (fx = started),
    );

    it.each([
      ['a NUL in a string', { worker_instance_id: 'w\u00001' }, ['poison', 'decode_failed']],
      // the store would take these: only the contract, checked on delivery, refuses them
      ['a lease_id of the wrong type', { lease_id: { id: 7 } }, ['decode_failed']],
      ['a timestamp that is no instant', { at: 'yesterday' }, ['decode_failed']],
    ])(
      '%s, published straight to events.lease_history.*, is parked alone; the rest of its batch is projected',
      async (_what, hostile, causes) => {
        await fx.projector({ batchSize: 50, backoff: { initialMs: 20, maxMs: 80 } });
        const ids = Array.from({ length: 6 }, () => uniqueName('exec'));
        const events = ids.flatMap((id, i) => [
          leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1', lease_id: `L-${i}` }),
          leaseEvent('renewed', id, t(1), { worker_instance_id: 'w1', lease_id: `L-${i}` }),
        ]);
        const poisonAt = 7;
        const cursors: number[] = [];
        for (const [i, event] of events.entries()) {
          if (i !== poisonAt) {
            cursors.push(Number((await fx.bus.publish(event)).cursor));
            continue;
          }
          // Bypassing ingest: the raw bus publisher, a NUL the store's jsonb refuses.
          const envelope = encode(event) as unknown as { data: Record<string, unknown> };
          const body = JSON.stringify({
            ...envelope,
            data: { ...envelope.data, ...hostile },
          });
          const h = natsHeaders();
          h.set(HEADERS.msgId, event.id);
          const ack = await fx.bus.publisher.publishRaw(
            eventSubject(event),
            new TextEncoder().encode(body),
            h,
          );
          cursors.push(Number(ack.cursor));
        }
        await waitFor(
          'one dead letter and nothing pending',
          async () => {
            const [letters, backlog] = await Promise.all([
              fx.bus.deadLetters.list(DURABLES.leaseHistory),
              consumerBacklog(fx.bus, LEASES, DURABLES.leaseHistory),
            ]);
            return letters.length > 0 && backlog.pending + backlog.inFlight === 0
              ? true
              : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 50 },
        );
        const letters = await fx.bus.deadLetters.list(DURABLES.leaseHistory);
        expect(letters).toHaveLength(1);
        // poison: the store refused it; decode_failed: the contract did, on delivery.
        expect(causes).toContain(letters[0]!.cause);
        expect(letters[0]).toMatchObject({ originalSeq: cursors[poisonAt], deliveries: 1 });
        const store = await fx.store();
        const rows = await store.db
          .selectFrom('lease_history.events')
          .select('seq')
          .where('stream', '=', LEASES)
          .orderBy('seq')
          .execute();
        expect(rows.map((row) => Number(row.seq))).toEqual(
          cursors.filter((_, i) => i !== poisonAt),
        );
      },
    );
  },
);
