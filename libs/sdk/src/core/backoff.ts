/** Retry delays: exponential from `initialMs`, capped at `maxMs`, with full jitter. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failed attempts since the last {@link reset}. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt: uniform in [cap / 2, cap], cap = min(max, initial * 2^n). */
  next(): number {
    const cap = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
