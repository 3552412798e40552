/**
 * Wakes one waiting task: `wait(ms)` resolves on the next `notify()` or after `ms`. A
 * `notify()` with nobody waiting is remembered, so a wake-up between two waits is not lost.
 * Timers are unref'd: a sink never keeps a process alive on its own.
 */
export class Signal {
  private waiter: (() => void) | undefined;
  private notified = false;

  /** Whether a task is waiting (so `notify()` would wake it). */
  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  wait(ms?: number): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
      if (ms !== undefined) {
        timer = setTimeout(() => this.waiter?.(), Math.max(0, ms));
        timer.unref();
      }
    });
  }

  notify(): void {
    if (this.waiter) this.waiter();
    else this.notified = true;
  }
}
