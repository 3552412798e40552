import { ApiError } from './api-error';

/** A held stream slot: release it once, when the stream ends. */
export interface SseSlot {
  release(): void;
}

/** How long a refused client is told to wait before it tries again. */
const RETRY_AFTER_S = 5;

/**
 * Caps concurrent Server-Sent Event streams (DESIGN.md §4: `RUNLOG_SSE_MAX` in total,
 * `RUNLOG_SSE_MAX_PER_KEY` per key): each stream holds a JetStream consumer and a socket,
 * so past the cap the answer is 429 with `Retry-After`, not one more consumer.
 */
export class SseLimiter {
  private total = 0;
  private readonly perCaller = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerCaller: number,
  ) {}

  /** A slot for `caller` (a key's name), or a 429 {@link ApiError} naming the cap. */
  acquire(caller: string): SseSlot {
    const mine = this.perCaller.get(caller) ?? 0;
    if (this.total >= this.max)
      throw tooMany(`${this.max} streams are open, the most this server serves (RUNLOG_SSE_MAX)`);
    if (mine >= this.maxPerCaller)
      throw tooMany(
        `this key holds ${mine} streams, the most one key may (RUNLOG_SSE_MAX_PER_KEY)`,
      );
    this.total += 1;
    this.perCaller.set(caller, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.perCaller.get(caller) ?? 1) - 1;
        if (left === 0) this.perCaller.delete(caller);
        else this.perCaller.set(caller, left);
      },
    };
  }

  /** Streams open now. */
  get open(): number {
    return this.total;
  }
}

function tooMany(message: string): ApiError {
  return new ApiError(
    'too_many_requests',
    `${message}; retry after ${RETRY_AFTER_S} s`,
    [{ retry_after_s: RETRY_AFTER_S }],
    { 'retry-after': String(RETRY_AFTER_S) },
  );
}
