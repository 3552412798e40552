import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles up to the cap, with jitter in the upper half, and resets', () => {
    const low = new Backoff(100, 1_000, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(low.attempts).toBe(6);
    low.reset();
    expect(low.next()).toBe(50);
    const high = new Backoff(100, 1_000, () => 1);
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([100, 200, 400, 800, 1000]);
  });
});
