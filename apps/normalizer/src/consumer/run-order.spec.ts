import { type DirectStreamAPI, type StoredMsg } from '@nats-io/jetstream';
import { RunOrder } from './run-order';

/** A work-queue stream seen through direct gets: the sequences still stored, per subject. */
function streamOf(stored: Map<string, number[]>): DirectStreamAPI & { asked: number } {
  const api = {
    asked: 0,
    getMessage: (_stream: string, query: { next_by_subj?: string; seq?: number }) => {
      api.asked++;
      const seqs = stored.get(query.next_by_subj ?? '') ?? [];
      const seq = seqs.find((s) => s >= (query.seq ?? 1));
      return Promise.resolve(seq === undefined ? null : ({ seq } as StoredMsg));
    },
  };
  return api as unknown as DirectStreamAPI & { asked: number };
}

describe('RunOrder', () => {
  const keepAlive = jest.fn();
  beforeEach(() => keepAlive.mockClear());

  it('lets the first unfinished message of a run go at once, whatever other runs hold', async () => {
    const stored = new Map([
      ['events.agent.t.r1', [5, 9]],
      ['events.agent.t.r2', [3]],
    ]);
    const order = new RunOrder(streamOf(stored), 'RUNLOG_AGENT');
    await expect(order.turn('events.agent.t.r1', 5, keepAlive)).resolves.toEqual({
      waited: false,
    });
  });

  it('skips what this replica settled but the server has not removed yet', async () => {
    const stream = streamOf(new Map([['s', [5, 9]]]));
    const order = new RunOrder(stream, 'RUNLOG_AGENT');
    order.settle('s', 5);
    await expect(order.turn('s', 9, keepAlive)).resolves.toEqual({ waited: false });
    expect(stream.asked).toBe(1); // read from #6 on: one request
  });

  it('still waits for an earlier message a peer holds between two it settled', async () => {
    const stored = new Map([['s', [5, 7, 9]]]);
    const order = new RunOrder(streamOf(stored), 'RUNLOG_AGENT');
    order.settle('s', 5);
    const turn = order.turn('s', 9, () => stored.set('s', [9]));
    await expect(turn).resolves.toEqual({ waited: true });
  });

  it('does not wait for a message this replica handed back: it is blocked at once', async () => {
    const order = new RunOrder(streamOf(new Map([['s', [5, 9]]])), 'RUNLOG_AGENT');
    order.handBack(5);
    await expect(order.turn('s', 9, keepAlive)).resolves.toEqual({ blockedBy: 5, waited: false });
    expect(keepAlive).not.toHaveBeenCalled();
  });

  it('waits, keeping the message alive, while a peer finishes the earlier message', async () => {
    const stored = new Map([['s', [5, 9]]]);
    const order = new RunOrder(streamOf(stored), 'RUNLOG_AGENT');
    const turn = order.turn('s', 9, () => {
      keepAlive();
      stored.set('s', [9]); // the peer acks #5 while #9 waits
    });
    await expect(turn).resolves.toEqual({ waited: true });
    expect(keepAlive).toHaveBeenCalledTimes(1);
  });

  it('settling a handed-back message clears it: later messages wait for nothing', async () => {
    const stored = new Map([['s', [5, 9]]]);
    const order = new RunOrder(streamOf(stored), 'RUNLOG_AGENT');
    order.handBack(5);
    order.settle('s', 5);
    await expect(order.turn('s', 9, keepAlive)).resolves.toEqual({ waited: false });
  });
});
