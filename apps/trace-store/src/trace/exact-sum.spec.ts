import { seeded, shuffled } from '@runlog/testing';
import { addExact, exactParts, exactSum, exactValue } from './exact-sum';

describe('exact sums', () => {
  it('rounds the exact sum once, where a running float sum drifts', () => {
    expect(exactSum(Array.from({ length: 10 }, () => 0.1))).toBe(1);
    expect(exactSum([1e100, 1, -1e100])).toBe(1);
    expect(exactSum([0.1, 0.2, 0.3])).toBe(0.6);
    // Half-even across partials (Python's math.fsum example): the 1e-16 tips it up.
    expect(exactSum([1e-16, 1, 1e16])).toBe(10000000000000002);
    expect(exactSum([])).toBe(0);
  });

  it('gives the same bits for any order and any split into batches', () => {
    const random = seeded(11);
    for (let round = 0; round < 200; round++) {
      const values = Array.from(
        { length: 1 + Math.floor(random() * 40) },
        () => (random() - 0.3) * 10 ** (Math.floor(random() * 30) - 15),
      );
      const want = exactSum(values);
      const order = shuffled(values, random);
      // Folded in random chunks, each chunk's partials merged into the running ones.
      let parts: number[] = [];
      for (let i = 0; i < order.length;) {
        const size = 1 + Math.floor(random() * 5);
        for (const part of exactParts(order.slice(i, i + size))) parts = addExact(parts, part);
        i += size;
      }
      expect(exactValue(parts)).toBe(want);
    }
  });

  it('carries on in plain floats past the finite range', () => {
    expect(exactSum([Number.MAX_VALUE, Number.MAX_VALUE, 1])).toBe(Number.POSITIVE_INFINITY);
    expect(exactSum([Number.POSITIVE_INFINITY, 1])).toBe(Number.POSITIVE_INFINITY);
  });
});
