import { NORMALIZER_MAX_DELIVER } from './normalizer.consumer';
import { ORDER_RETRY_MS, ORDER_WAIT_MS, orderRetryDelay, RunOrder } from './run-order';

/** A work-queue stream seen through direct gets: the sequences still stored, per subject. */
function streamOf(stored: Map<string, number[]>): {
  (subject: string, from: number): Promise<number | undefined>;
  asked: number;
} {
  const lookup = Object.assign(
    (subject: string, from: number) => {
      lookup.asked++;
      return Promise.resolve((stored.get(subject) ?? []).find((s) => s >= from));
    },
    { asked: 0 },
  );
  return lookup;
}

describe('RunOrder', () => {
  const keepAlive = jest.fn();
  beforeEach(() => keepAlive.mockClear());

  it('lets the first unfinished message of a run go at once, whatever other runs hold', async () => {
    const stored = new Map([
      ['events.agent.t.r1', [5, 9]],
      ['events.agent.t.r2', [3]],
    ]);
    const order = new RunOrder(streamOf(stored));
    await expect(order.turn('events.agent.t.r1', 5, keepAlive)).resolves.toEqual({
      waited: false,
    });
  });

  it('skips what this replica settled but the server has not removed yet', async () => {
    const stream = streamOf(new Map([['s', [5, 9]]]));
    const order = new RunOrder(stream);
    order.settle('s', 5);
    await expect(order.turn('s', 9, keepAlive)).resolves.toEqual({ waited: false });
    expect(stream.asked).toBe(1); // read from #6 on: one request
  });

  it('still waits for an earlier message a peer holds between two it settled', async () => {
    const stored = new Map([['s', [5, 7, 9]]]);
    const order = new RunOrder(streamOf(stored));
    order.settle('s', 5);
    const turn = order.turn('s', 9, () => stored.set('s', [9]));
    await expect(turn).resolves.toEqual({ waited: true });
  });

  it('does not wait for a message this replica handed back: it is blocked at once', async () => {
    const order = new RunOrder(streamOf(new Map([['s', [5, 9]]])));
    order.handBack(5);
    await expect(order.turn('s', 9, keepAlive)).resolves.toEqual({ blockedBy: 5, waited: false });
    expect(keepAlive).not.toHaveBeenCalled();
  });

  it('waits, keeping the message alive, while a peer finishes the earlier message', async () => {
    const stored = new Map([['s', [5, 9]]]);
    const order = new RunOrder(streamOf(stored));
    const turn = order.turn('s', 9, () => {
      keepAlive();
      stored.set('s', [9]); // the peer acks #5 while #9 waits
    });
    await expect(turn).resolves.toEqual({ waited: true });
    expect(keepAlive).toHaveBeenCalledTimes(1);
  });

  it('settling a handed-back message clears it: later messages wait for nothing', async () => {
    const stored = new Map([['s', [5, 9]]]);
    const order = new RunOrder(streamOf(stored));
    order.handBack(5);
    order.settle('s', 5);
    await expect(order.turn('s', 9, keepAlive)).resolves.toEqual({ waited: false });
  });

  it('waits in vain for an earlier message once: later messages of its run are blocked at once', async () => {
    const order = new RunOrder(streamOf(new Map([['s', [5, 9, 10]]])));
    const started = Date.now();
    // A peer holds #5 and never finishes it (it died): #9 waits its full time.
    await expect(order.turn('s', 9, keepAlive)).resolves.toEqual({ blockedBy: 5, waited: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(ORDER_WAIT_MS);
    keepAlive.mockClear();
    await expect(order.turn('s', 10, keepAlive)).resolves.toEqual({
      blockedBy: 5,
      waited: false,
    });
    expect(keepAlive).not.toHaveBeenCalled();
    order.settle('s', 5); // #5 came back to this replica and was handled
    await expect(order.turn('s', 9, keepAlive)).resolves.toEqual({ waited: false });
  });
});

describe('orderRetryDelay', () => {
  // Deliveries 1 .. max_deliver - 2 of a blocked message are handed back; the next overtakes.
  const handBacks = NORMALIZER_MAX_DELIVER - 2;

  it('is ORDER_RETRY_MS for short ack waits, longer for long ones', () => {
    expect(orderRetryDelay(1_000, handBacks)).toBe(ORDER_RETRY_MS);
    expect(orderRetryDelay(30_000, handBacks)).toBe(5_000);
  });

  it.each([1_000, 5_000, 30_000, 120_000, 600_000])(
    'hands a blocked message back for longer than an ack wait of %i ms before it may overtake',
    (ackWaitMs) => {
      expect(handBacks * orderRetryDelay(ackWaitMs, handBacks)).toBeGreaterThan(ackWaitMs * 1.3);
    },
  );
});
