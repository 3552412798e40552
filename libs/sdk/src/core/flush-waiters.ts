// The flushes waiting on a sink: each resolves once every event emitted before it has
// settled (acknowledged, or dropped and reported), or, when its timeout passes first, with
// how many of them are still waiting.
import { type FlushResult } from '../types';

/** What a flush waits on, read from the buffer at the time of asking. */
export interface FlushProgress {
  /** Whether every event up to `target` (an emission seq) settled and no gap is left to record. */
  settled(target: number): boolean;
  /** How many events up to `target`, and gaps, are still to be settled. */
  unsettled(target: number): number;
}

interface Waiter {
  readonly target: number;
  readonly resolve: (result: FlushResult) => void;
  timer?: NodeJS.Timeout;
}

export class FlushWaiters {
  private readonly waiters: Waiter[] = [];

  constructor(private readonly progress: FlushProgress) {}

  /** Whether a flush is waiting (the send loop then sends a partial batch without lingering). */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /** Waits until `target` settles, for at most `timeoutMs` when given. */
  add(target: number, timeoutMs?: number): Promise<FlushResult> {
    return new Promise<FlushResult>((resolve) => {
      const waiter: Waiter = { target, resolve };
      if (timeoutMs !== undefined)
        waiter.timer = setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          resolve({ ok: false, pending: this.progress.unsettled(target) });
        }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves every flush whose target has settled; call it whenever the buffer moved. */
  settle(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i] as Waiter;
      if (!this.progress.settled(waiter.target)) continue;
      this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.resolve({ ok: true });
    }
  }

  /**
   * Ends every flush still waiting, as failed with nothing pending: the sink has closed and
   * reported what it held as dropped, so nothing is left to wait for.
   */
  abandon(): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve({ ok: false, pending: 0 });
    }
  }
}
