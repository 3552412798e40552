import { GapTracker } from './gap-tracker';

describe('GapTracker', () => {
  it('extends a range while the drops of a source are contiguous', () => {
    const gaps = new GapTracker();
    for (let seq = 5; seq <= 9; seq++)
      gaps.record('a', seq, seq % 2 ? 'trace' : 'engine', 1000 + seq);
    expect(gaps.pending).toBe(1);
    expect(gaps.seal()).toEqual([
      { source: 'a', from: 5, to: 9, dropped: 5, at: 1005, families: { trace: 3, engine: 2 } },
    ]);
    expect(gaps.pending).toBe(0);
    expect(gaps.seal()).toEqual([]);
  });

  it('starts a new range on a hole, and keeps sources apart', () => {
    const gaps = new GapTracker();
    gaps.record('a', 1, 'trace', 1);
    gaps.record('b', 1, 'trace', 2);
    gaps.record('a', 2, 'trace', 3);
    gaps.record('a', 4, 'trace', 4);
    gaps.record('b', 2, 'trace', 5);
    expect(gaps.pending).toBe(3);
    expect(gaps.seal().map(({ source, from, to, dropped }) => [source, from, to, dropped])).toEqual(
      [
        ['a', 1, 2, 2],
        ['a', 4, 4, 1],
        ['b', 1, 2, 2],
      ],
    );
  });

  it('opens a new range after sealing, even if it continues the sealed one', () => {
    const gaps = new GapTracker();
    gaps.record('a', 1, 'trace', 1);
    expect(gaps.seal()).toHaveLength(1);
    gaps.record('a', 2, 'trace', 2);
    expect(gaps.seal()).toEqual([
      { source: 'a', from: 2, to: 2, dropped: 1, at: 2, families: { trace: 1 } },
    ]);
  });
});
