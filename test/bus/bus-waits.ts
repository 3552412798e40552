// The waits the bus consumer specs share: on a durable's info, and on its dead letters.
import { type ConsumerInfo } from '@nats-io/jetstream';
import { waitFor } from '@runlog/testing';
import { type BusFixture } from './bus-fixtures';

/**
 * The consumer's info once `condition` holds. The server applies acks asynchronously (its
 * consumer goroutine), so an ack sent before an info request may not show in its answer yet.
 */
export async function settled(
  fx: BusFixture,
  durable: string,
  condition: (info: ConsumerInfo) => boolean,
  timeoutMs = 5_000,
): Promise<ConsumerInfo> {
  return waitFor(
    `consumer ${durable} to settle`,
    async () => {
      const info = await fx.bus.manager.consumers.info('RUNLOG_TRACE', durable);
      return condition(info) ? info : undefined;
    },
    { timeoutMs, intervalMs: 20 },
  );
}

/** Dead letters live in a stream with no event to await from here: poll its API. */
export function waitForDeadLetters(fx: BusFixture, consumer: string, n: number) {
  return waitFor(
    `${n} dead letters of ${consumer}`,
    async () => {
      const letters = await fx.bus.deadLetters.list(consumer);
      return letters.length >= n ? letters : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 50 },
  );
}
