/** How long a message waits in place for an earlier message of its run before it is handed back. */
export const ORDER_WAIT_MS = 2_000;
/** The least hand-back delay of a message whose run is blocked ({@link orderRetryDelay}). */
export const ORDER_RETRY_MS = 3_000;
/** Polling of the stream while waiting: starts fast (a peer is usually a few ms from acking). */
const POLL_MIN_MS = 2;
const POLL_MAX_MS = 100;
/** Sequences remembered per state (settled, handed back): far more than are ever in flight. */
const MEMORY = 4_096;

/** Whether a message may be handled now, and what held it up. */
export interface Turn {
  /** The earlier, unfinished message of the same run it still waits for; absent: it may go. */
  readonly blockedBy?: number;
  /** It had to wait for an earlier message (now finished, or still not). */
  readonly waited: boolean;
}

/**
 * Per-run order over a work-queue stream (RUNLOG_AGENT), across retries and replicas.
 *
 * A work-queue stream removes a message when it is acked, so the messages of a run that
 * are still in the stream are exactly the ones nobody has finished. Before a message is
 * handled, the stream is asked for the first message on the same subject (a direct get,
 * `next_by_subj`): if that one is earlier, another replica holds it, or it failed and
 * waits for redelivery, and this message waits its turn. One replica alone does not wait
 * in the normal case: it handles in stream order and remembers what it acked that the
 * server may not have removed yet. Two replicas on one durable produce each run's
 * canonical facts in the same order, from the same run states, as one.
 */
export class RunOrder {
  private readonly settled = new BoundedSet(MEMORY);
  private readonly handedBack = new BoundedSet(MEMORY);
  /**
   * Earlier messages this replica already waited {@link ORDER_WAIT_MS} for in vain: a peer
   * holds them that may be dead (then they come back only after the ack wait). Later
   * messages of their run are blocked at once instead of each waiting again, which would
   * hold a worker and the run's chain for {@link ORDER_WAIT_MS} per message.
   */
  private readonly stalled = new BoundedSet(MEMORY);
  /**
   * Per subject, the last sequence this replica settled: it went in its turn, so nothing
   * before it is left to wait for, and the next check reads the stream from just after it.
   */
  private readonly lastSettled = new Map<string, number>();
  /** Per subject, the end of this replica's chain of work on it. */
  private readonly local = new Map<string, Promise<void>>();

  constructor(
    /** The first stored sequence on `subject` at or after `from` (the work-queue stream's). */
    private readonly nextStored: (subject: string, from: number) => Promise<number | undefined>,
  ) {}

  /**
   * Waits until no earlier message of the run (`subject`) is unfinished, at most
   * {@link ORDER_WAIT_MS}, calling `keepAlive` so the server does not redeliver this one
   * meanwhile. Does not wait for a message this replica handed back: that one comes back
   * later, possibly to this very replica, whose worker must not be busy waiting for it.
   * Nor, a second time, for one it already waited for in vain (see {@link stalled}).
   */
  async turn(subject: string, seq: number, keepAlive: () => void): Promise<Turn> {
    const deadline = Date.now() + ORDER_WAIT_MS;
    let pause = POLL_MIN_MS;
    for (let waited = false; ; waited = true) {
      const earlier = await this.firstUnfinished(subject, seq);
      if (earlier === undefined) return { waited };
      if (this.handedBack.has(earlier) || this.stalled.has(earlier)) {
        return { blockedBy: earlier, waited };
      }
      if (Date.now() >= deadline) {
        this.stalled.add(earlier);
        return { blockedBy: earlier, waited };
      }
      keepAlive();
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, POLL_MAX_MS);
    }
  }

  /**
   * Runs `work` once every earlier call for the same run (`subject`) on this replica has
   * settled, so concurrent workers handle different runs side by side and one run in
   * arrival order. Call it synchronously on arrival: the chain is the arrival order.
   */
  async serially<T>(subject: string, work: () => Promise<T>): Promise<T> {
    const before = this.local.get(subject) ?? Promise.resolve();
    const run = before.then(work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.local.set(subject, tail);
    try {
      return await run;
    } finally {
      if (this.local.get(subject) === tail) this.local.delete(subject);
    }
  }

  /** This replica handled `seq` of `subject` and is acking it. */
  settle(subject: string, seq: number): void {
    this.handedBack.delete(seq);
    this.stalled.delete(seq);
    this.settled.add(seq);
    if (seq > (this.lastSettled.get(subject) ?? 0)) {
      this.lastSettled.delete(subject); // re-inserted last: the map forgets the oldest runs
      this.lastSettled.set(subject, seq);
      if (this.lastSettled.size > MEMORY) {
        const oldest = this.lastSettled.keys().next().value;
        if (oldest !== undefined) this.lastSettled.delete(oldest);
      }
    }
  }

  /** This replica gave `seq` back to the server (a failure, or waiting for its turn). */
  handBack(seq: number): void {
    this.handedBack.add(seq);
  }

  /** The first message on `subject` before `seq` that nobody finished, if any. */
  private async firstUnfinished(subject: string, seq: number): Promise<number | undefined> {
    let from = (this.lastSettled.get(subject) ?? 0) + 1;
    for (;;) {
      const first = await this.nextStored(subject, from);
      if (first === undefined || first >= seq) return undefined;
      if (!this.settled.has(first)) return first;
      from = first + 1; // acked here, not yet removed there
    }
  }
}

/**
 * How long a message still blocked by an earlier one of its run is handed back for, when
 * it may be handed back `handBacks` times before it overtakes: {@link ORDER_RETRY_MS}, or
 * more when the ack wait needs it, so that all hand-backs but two add up to the ack wait.
 * An earlier message that a crashed replica held is redelivered only after the ack wait:
 * the rest of its run must not overtake it before (with 3 s and the normalizer's eight
 * hand-backs, 24 s, short of the default 30 s). The same delay every time, so the messages
 * of a run handed back in order come back in order.
 */
export function orderRetryDelay(ackWaitMs: number, handBacks: number): number {
  return Math.max(ORDER_RETRY_MS, Math.ceil(ackWaitMs / Math.max(1, handBacks - 2)));
}

/** A set that forgets its oldest members beyond `limit`. */
class BoundedSet {
  private readonly members = new Set<number>();

  constructor(private readonly limit: number) {}

  has(value: number): boolean {
    return this.members.has(value);
  }

  add(value: number): void {
    this.members.delete(value);
    this.members.add(value);
    if (this.members.size > this.limit) {
      const oldest = this.members.values().next().value;
      if (oldest !== undefined) this.members.delete(oldest);
    }
  }

  delete(value: number): void {
    this.members.delete(value);
  }
}
