import { type ErrorClass } from './consumer-spec';
import { isolate, type Verdict } from './isolate';
import { type Outcome } from './outcome';

class Refused extends Error {
  constructor(readonly kind: ErrorClass) {
    super(`refused (${kind})`);
  }
}

/** Runs isolation over 0..n-1 where `fails(item)` names the items that fail a part they are in. */
async function run(n: number, fails: (item: number) => ErrorClass | undefined) {
  const items = Array.from({ length: n }, (_, i) => i);
  const committed: number[] = [];
  const settled: Array<[number, Verdict['type']]> = [];
  let calls = 0;
  await isolate(
    items,
    async (part) => {
      calls++;
      const failing = part.map(fails).find((kind) => kind !== undefined);
      if (failing !== undefined) throw new Refused(failing);
      committed.push(...part);
      return part.map((): Outcome => ({ type: 'ack' }));
    },
    (error) => (error instanceof Refused ? error.kind : 'unknown'),
    async (part, verdicts) => {
      part.forEach((item, i) => settled.push([item, verdicts[i]!.type]));
    },
  );
  return { committed, settled, calls };
}

describe('isolate', () => {
  it('commits a batch that succeeds in one call', async () => {
    const { committed, calls } = await run(8, () => undefined);
    expect(committed).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(calls).toBe(1);
  });

  it('finds one poison event by bisection, parks it alone and commits the rest in order', async () => {
    const { committed, settled, calls } = await run(100, (i) => (i === 37 ? 'poison' : undefined));
    expect(committed).toEqual([...Array(100).keys()].filter((i) => i !== 37));
    expect(settled.filter(([, type]) => type !== 'ack')).toEqual([[37, 'poison']]);
    expect(settled.map(([item]) => item)).toEqual([...Array(100).keys()]); // settled in stream order
    expect(calls).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(100)));
  });

  it('retries an event that fails alone with an unknown error (max_deliver decides), not parking it', async () => {
    const { settled } = await run(10, (i) => (i === 3 || i === 8 ? 'unknown' : undefined));
    expect(settled.filter(([, type]) => type !== 'ack')).toEqual([
      [3, 'retry'],
      [8, 'retry'],
    ]);
  });

  it('stops at an outage: what is not committed yet is retried as an outage, nothing is parked', async () => {
    const { committed, settled } = await run(8, (i) =>
      i >= 6 ? 'transient' : i === 1 ? 'poison' : undefined,
    );
    expect(settled.filter(([, type]) => type === 'poison')).toEqual([[1, 'poison']]);
    expect(committed).toEqual([0, 2, 3]);
    expect(settled.filter(([, type]) => type === 'outage').map(([item]) => item)).toEqual([
      4, 5, 6, 7,
    ]);
  });
});
