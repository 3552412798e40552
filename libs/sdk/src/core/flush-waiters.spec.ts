import { FlushWaiters } from './flush-waiters';

/** A buffer whose progress the test sets: everything up to `done` has settled. */
function progress() {
  const state = { done: 0, total: 10 };
  return {
    state,
    settled: (target: number) => state.done >= target,
    unsettled: (target: number) => Math.max(0, Math.min(target, state.total) - state.done),
  };
}

describe('FlushWaiters', () => {
  it('resolves each flush once its own target has settled', async () => {
    const buffer = progress();
    const waiters = new FlushWaiters(buffer);
    const resolved: number[] = [];
    void waiters.add(3).then(() => resolved.push(3));
    void waiters.add(6).then(() => resolved.push(6));
    expect(waiters.waiting).toBe(true);
    buffer.state.done = 4;
    waiters.settle();
    await Promise.resolve();
    expect(resolved).toEqual([3]);
    buffer.state.done = 6;
    waiters.settle();
    await Promise.resolve();
    expect(resolved).toEqual([3, 6]);
    expect(waiters.waiting).toBe(false);
  });

  it('answers how many events still wait when the timeout passes first', async () => {
    const buffer = progress();
    buffer.state.done = 2;
    const waiters = new FlushWaiters(buffer);
    await expect(waiters.add(7, 5)).resolves.toEqual({ ok: false, pending: 5 });
    expect(waiters.waiting).toBe(false);
  });

  it('ends every waiting flush when abandoned, with nothing pending', async () => {
    const waiters = new FlushWaiters(progress());
    const flushes = [waiters.add(1, 60_000), waiters.add(2)];
    waiters.abandon();
    await expect(Promise.all(flushes)).resolves.toEqual([
      { ok: false, pending: 0 },
      { ok: false, pending: 0 },
    ]);
    expect(waiters.waiting).toBe(false);
  });
});
