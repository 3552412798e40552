/**
 * A FIFO queue on a growable ring buffer: O(1) push and shift (an array's `shift()` is
 * O(n) once it is large), which keeps `emit` and overflow drops constant-time.
 */
export class Deque<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  /** The oldest item, removed; `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** How many items from the oldest on satisfy `test` (stops at the first that does not). */
  countWhile(test: (item: T) => boolean): number {
    let n = 0;
    while (n < this.count && test(this.items[(this.head + n) & (this.items.length - 1)] as T)) n++;
    return n;
  }

  /** Every item, oldest first, removed. */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }

  private grow(): void {
    // Capacity stays a power of two, so `& (length - 1)` wraps indexes.
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++)
      next[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
