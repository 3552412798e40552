import { type Gap, type PublishManyResult, type TailItem } from '@runlog/bus';
import { type DeliveredEvent, type RunlogEvent, streamName } from '@runlog/contracts';
import { uniqueName, waitFor } from '@runlog/testing';
import { within } from '../faults/fault-fixtures';
import { type BusFixture, Recorder, startBus, traceEvents } from './bus-fixtures';

const STREAM = streamName('trace');
/** Reconnecting, redelivering and re-creating an ordered consumer take seconds, not milliseconds. */
const SLOW = 45_000;

/** The cursors of a publishMany, failing the test on any failed publish. */
function cursorsOf(results: readonly PublishManyResult[]): string[] {
  return results.map((result) => {
    if (!result.ok) throw result.error;
    return result.value.cursor;
  });
}

/** Publishes and answers `cursor -> event id`, in publish order. */
async function publishAll(
  fx: BusFixture,
  events: readonly RunlogEvent<'trace'>[],
): Promise<Map<string, string>> {
  const cursors = cursorsOf(await fx.bus.publishMany(events));
  return new Map(cursors.map((cursor, i) => [cursor, events[i]!.id]));
}

/** A latch a handler waits on until the test opens it. */
function latch(): { readonly opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Resolves on the bus connection's next `reconnect` status (subscribe before the outage). */
function nextReconnect(fx: BusFixture): Promise<void> {
  const statuses = fx.bus.connection.status();
  return (async () => {
    for await (const status of statuses) if (status.type === 'reconnect') return;
    throw new Error('the NATS connection closed before it reconnected');
  })();
}

/** Kill -9 the NATS server, then start it again on the same port and store; resolves once the bus is back. */
async function killAndRestart(fx: BusFixture, whileDown?: () => void): Promise<void> {
  const reconnected = nextReconnect(fx);
  await fx.server.kill();
  whileDown?.();
  await fx.server.start();
  await reconnected;
}

function isConsecutive(cursors: readonly string[]): boolean {
  return cursors.every((cursor, i) => i === 0 || Number(cursor) === Number(cursors[i - 1]) + 1);
}

describe('bus resilience to a NATS server killed with SIGKILL', () => {
  let fx: BusFixture;
  beforeAll(async () => {
    fx = await startBus();
  });
  afterAll(() => fx?.close(), 30_000);

  it(
    'a durable consumer killed mid-consume loses nothing and acks up to the last cursor',
    async () => {
      const n = 500;
      const durable = uniqueName('resilient');
      const published = await publishAll(fx, traceEvents(n, uniqueName('req')));
      const cursors = [...published.keys()];
      const last = cursors.at(-1)!;
      expect(isConsecutive(cursors)).toBe(true);

      // The handler holds the 200th event until the server has been killed, so the kill
      // lands mid-consume with deliveries outstanding; at most 50 are out at once, so most
      // of the stream must come from the restarted server.
      const holdAt = cursors[199]!;
      const held = latch();
      const handled = new Recorder<{ cursor: string; id: string; delivery: number }>();
      const gaps = new Recorder<Gap>();
      const consumer = await fx.bus.consume({
        durable,
        family: 'trace',
        ackWaitMs: 2_000,
        maxAckPending: 50,
        backoff: { initialMs: 20, maxMs: 200 },
        onGap: (gap) => gaps.push(gap),
        handler: {
          mode: 'event',
          handle: async (event: DeliveredEvent<'trace'>, ctx) => {
            handled.push({ cursor: event.cursor, id: event.id, delivery: ctx.deliveryCount });
            if (event.cursor === holdAt) await held.opened;
          },
        },
      });
      try {
        await handled.until((items) => items.some((i) => i.cursor === holdAt), 'the held event');
        let handledAtKill = 0;
        await killAndRestart(fx, () => {
          handledAtKill = new Set(handled.items.map((i) => i.cursor)).size;
          held.open(); // finishes while the server is down: its ack waits in the client's buffer
        });
        expect(handledAtKill).toBeLessThan(n);

        await handled.until(
          (items) => new Set(items.map((i) => i.cursor)).size >= n,
          `all ${n} cursors handled`,
          SLOW,
        );
        const info = await waitFor(
          `the ack floor of ${durable} at ${last}`,
          async () => {
            const ci = await fx.bus.manager.consumers.info(STREAM, durable);
            return ci.ack_floor.stream_seq === Number(last) && ci.num_ack_pending === 0
              ? ci
              : undefined;
          },
          { timeoutMs: SLOW, intervalMs: 100 },
        );
        expect(info.num_pending).toBe(0);
      } finally {
        held.open();
        await consumer.stop();
      }

      // At least once, nothing lost, nothing invented, every event intact. Duplicates are
      // expected: nats-server persists a durable's delivered/ack state asynchronously, so a
      // kill -9 can roll it back and the restarted server delivers those events again (even
      // with deliveryCount 1).
      const handledCursors = new Set(handled.items.map((i) => i.cursor));
      expect([...handledCursors].sort((a, b) => Number(a) - Number(b))).toEqual(cursors);
      for (const item of handled.items) expect(item.id).toBe(published.get(item.cursor));
      expect(gaps.items).toEqual([]);
    },
    SLOW * 2,
  );

  it(
    'subscribe replays after a cursor, says caught_up, tails live, and heals across a kill -9 without gap or duplicate',
    async () => {
      const key = uniqueName('tail');
      // Another key in the same stream interleaves: the key filter must keep it out.
      await publishAll(fx, traceEvents(30, uniqueName('other')));
      const history = await publishAll(fx, traceEvents(100, key));
      await publishAll(fx, traceEvents(30, uniqueName('other')));
      const historyCursors = [...history.keys()];
      const after = historyCursors[49]!;
      const published = new Map(history);
      const publish = async (count: number): Promise<Map<string, string>> => {
        const batch = await publishAll(fx, traceEvents(count, key));
        for (const [cursor, id] of batch) published.set(cursor, id);
        return batch;
      };

      const items = new Recorder<TailItem<'trace'>>();
      const abort = new AbortController();
      const reading = (async () => {
        const tail = fx.bus.subscribe('trace', {
          after,
          key,
          idleHeartbeatMs: 250,
          signal: abort.signal,
        });
        for await (const item of tail) items.push(item);
      })();
      const events = (): DeliveredEvent<'trace'>[] =>
        items.items.flatMap((item) => (item.type === 'event' ? [item.event] : []));
      const seen = (batch: ReadonlyMap<string, string>): boolean => {
        const cursors = new Set(events().map((e) => e.cursor));
        return [...batch.keys()].every((cursor) => cursors.has(cursor));
      };

      try {
        // Replay: exactly the 50 events after the cursor, in order, then caught_up at the last.
        await items.until((all) => all.some((i) => i.type === 'caught_up'), 'caught_up');
        expect(items.items).toEqual([
          ...historyCursors.slice(50).map((cursor) => ({
            type: 'event',
            event: expect.objectContaining({
              cursor,
              id: history.get(cursor),
              family: 'trace',
              kind: 'op_start',
              data: expect.objectContaining({ request_id: key }) as unknown,
            }) as unknown,
          })),
          { type: 'caught_up', cursor: historyCursors.at(-1) },
        ]);

        // Live: events published after caught_up follow it.
        const live = await publish(20);
        await items.until(() => seen(live), 'the live events');

        // Kill -9 right after a burst (part of it may still be on its way to the subscriber),
        // restart, and publish more: the tail must resume exactly where it was.
        const burst = await publish(300);
        await killAndRestart(fx);
        const afterRestart = await publish(50);
        await items.until(
          () => seen(burst) && seen(afterRestart),
          'the burst and the events published after the restart',
          SLOW,
        );
      } finally {
        abort.abort();
      }
      await reading; // the abort ends the iteration

      const expected = [...published.keys()].filter((cursor) => Number(cursor) > Number(after));
      const tailed = events();
      expect(tailed.map((e) => e.cursor)).toEqual(expected);
      expect(tailed.map((e) => e.id)).toEqual(expected.map((cursor) => published.get(cursor)));
      expect(items.items.filter((i) => i.type !== 'event')).toEqual([
        { type: 'caught_up', cursor: historyCursors.at(-1) },
      ]);
      // Everything after the history was published by this test only: strictly consecutive.
      expect(isConsecutive(expected.slice(50))).toBe(true);
    },
    SLOW * 2,
  );

  // With nothing to replay, `caught_up` comes before the live tail starts: an abort made
  // while the caller handles it must still end the iteration.
  it('subscribe ends when aborted while the caller handles an immediate caught_up', async () => {
    const key = uniqueName('idle');
    const cursors = cursorsOf(await fx.bus.publishMany(traceEvents(5, key)));
    const abort = new AbortController();
    const items: TailItem<'trace'>[] = [];
    const reading = (async () => {
      const tail = fx.bus.subscribe('trace', { after: cursors.at(-1), key, signal: abort.signal });
      for await (const item of tail) {
        items.push(item);
        if (item.type === 'caught_up') abort.abort();
      }
    })();
    await within(5_000, 'the end of the iteration after the abort', reading);
    expect(items).toEqual([{ type: 'caught_up', cursor: cursors.at(-1) }]);
  });

  it('a subscription that ends, by abort or by break, removes its ordered consumer from the server', async () => {
    const key = uniqueName('cleanup');
    await fx.bus.publishMany(traceEvents(3, key));
    const names = async () => {
      const found: string[] = [];
      for await (const info of fx.bus.manager.consumers.list('RUNLOG_TRACE')) found.push(info.name);
      return found;
    };
    const before = await names();
    const abort = new AbortController();
    for await (const item of fx.bus.subscribe('trace', { key, signal: abort.signal })) {
      expect(await names()).toHaveLength(before.length + 1); // while it runs, it exists
      if (item.type === 'caught_up') abort.abort();
    }
    expect(await names()).toEqual(before);
    for await (const item of fx.bus.subscribe('trace', { key })) {
      if (item.type === 'event') break; // the generator's return path
    }
    expect(await names()).toEqual(before);
  });

  it('subscribe with an already aborted signal yields nothing and ends', async () => {
    const key = uniqueName('aborted');
    await fx.bus.publishMany(traceEvents(5, key));
    const items: TailItem<'trace'>[] = [];
    const reading = (async () => {
      for await (const item of fx.bus.subscribe('trace', { key, signal: AbortSignal.abort() }))
        items.push(item);
    })();
    await within(5_000, 'the end of an iteration with an aborted signal', reading);
    expect(items.filter((item) => item.type === 'event')).toEqual([]);
  });
});
