import { Deque } from './deque';

describe('Deque', () => {
  it('keeps FIFO order across growth and wrap-around', () => {
    const queue = new Deque<number>();
    const seen: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the ring wraps while it grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) queue.push(next++);
      for (let i = 0; i < 5; i++) seen.push(queue.shift() as number);
    }
    seen.push(...queue.drain());
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
  });

  it('peeks and counts from the oldest item', () => {
    const queue = new Deque<number>();
    for (let i = 1; i <= 40; i++) queue.push(i);
    queue.shift();
    expect(queue.peek()).toBe(2);
    expect(queue.countWhile((n) => n <= 10)).toBe(9);
    expect(queue.countWhile(() => true)).toBe(39);
    expect(queue.length).toBe(39);
  });
});
