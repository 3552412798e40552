// What the fault suite's tests share: a producer that publishes without pause while a
// fault is injected and records what each publish answered, a read-back of a whole
// stream, and a bound on a wait.
import { setTimeout as delay } from 'node:timers/promises';
import { type Bus, isBusError, type PublishManyResult } from '@runlog/bus';
import { type DeliveredEvent, type Family, type RunlogEvent, streamName } from '@runlog/contracts';

/** One publish of a {@link ContinuousProducer}: the event and what the publisher answered. */
export interface Attempt<F extends Family> {
  readonly event: RunlogEvent<F>;
  /** When the publish started and when it was answered (ms since the epoch). */
  readonly startedAt: number;
  answeredAt?: number;
  result?: PublishManyResult;
}

type Acked<F extends Family> = Attempt<F> & {
  readonly answeredAt: number;
  readonly result: Extract<PublishManyResult, { ok: true }>;
};

/**
 * Publishes through the bus publisher until stopped, `lanes` publishes in flight at once
 * (so a fault always lands mid-publish), at a bounded rate; records every answer.
 */
export class ContinuousProducer<F extends Family> {
  readonly attempts: Attempt<F>[] = [];
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly make: (index: number) => RunlogEvent<F>,
    private readonly lanes = 8,
    /** A pause between one lane's publishes: a bounded rate, so the read-back stays small. */
    private readonly paceMs = 10,
  ) {}

  start(): this {
    const lane = async (): Promise<void> => {
      while (!this.stopping) {
        const attempt: Attempt<F> = {
          event: this.make(this.attempts.length),
          startedAt: Date.now(),
        };
        this.attempts.push(attempt);
        try {
          attempt.result = { ok: true, value: await this.bus.publish(attempt.event) };
        } catch (error) {
          if (!isBusError(error)) throw error;
          attempt.result = { ok: false, error };
        }
        attempt.answeredAt = Date.now();
        await delay(this.paceMs);
      }
    };
    this.loop ??= Promise.all(Array.from({ length: this.lanes }, lane)).then(() => undefined);
    return this;
  }

  /** Stops making publishes; resolves once every publish made has been answered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** Publishes answered with a PubAck. */
  acked(): Acked<F>[] {
    return this.attempts.filter((a): a is Acked<F> => a.result?.ok === true);
  }

  /** Publishes answered with an error. */
  failed(): Attempt<F>[] {
    return this.attempts.filter((a) => a.result?.ok === false);
  }

  /** Acked publishes that started after `at`. */
  ackedSince(at: number): number {
    return this.acked().filter((a) => a.startedAt > at).length;
  }

  /** How long after `at` the first publish started after it was acked (ms), if one was. */
  recoveryAfter(at: number): number | undefined {
    const answered = this.acked()
      .filter((a) => a.startedAt > at)
      .map((a) => a.answeredAt);
    return answered.length > 0 ? Math.min(...answered) - at : undefined;
  }
}

/**
 * Every event of a family stream, in stream order, read through the bus's replay up to
 * the last sequence the stream leader reports (a replica that lags may say `caught_up`
 * before that: the read goes on to the end).
 */
export async function readStream<F extends Family>(
  bus: Bus,
  family: F,
): Promise<DeliveredEvent<F>[]> {
  const { state } = await bus.manager.streams.info(streamName(family));
  const events: DeliveredEvent<F>[] = [];
  if (state.messages === 0) return events;
  const abort = new AbortController();
  for await (const item of bus.subscribe(family, { signal: abort.signal })) {
    if (item.type === 'undecodable') throw new Error(`undecodable #${item.cursor}`);
    if (item.type === 'caught_up' && Number(item.cursor) < state.last_seq)
      process.stderr.write(
        `[faults] caught_up at ${item.cursor} before the last sequence ${state.last_seq}\n`,
      );
    if (item.type !== 'event') continue;
    events.push(item.event);
    if (Number(item.event.cursor) >= state.last_seq) abort.abort();
  }
  return events;
}

/** The values that occur more than once. */
export function repeated<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const value of values) (seen.has(value) ? twice : seen).add(value);
  return [...twice];
}

/** Resolves with `promise`, or fails once `ms` have passed: a bound on a wait, not a synchronisation. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
