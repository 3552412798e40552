// The one background task that moves events out of a sink's buffer, as a small state
// machine: it waits (idle, lingering for a fuller batch, offline, backing off) until there
// is a batch and a way to send it, sends it, applies the verdict on each answer to the
// buffer, and paces the next attempt by them.
import { Backoff } from './backoff';
import { describe } from './describe';
import { type Entry } from './entry';
import { type SinkReporter } from './reporter';
import { verdictOn } from './retry-policy';
import { Signal } from './signal';
import { type SinkBuffer } from './sink-buffer';
import { type Outcome, type Transport } from './transport';

type State = 'idle' | 'linger' | 'sending' | 'backoff' | 'offline' | 'stopped';

export interface SendLoopOptions {
  readonly lingerMs: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** Whether a flush or close waits: a partial batch then goes without lingering. */
  readonly urgent: () => boolean;
  /** The buffer moved: flushes waiting on it may have settled. */
  readonly progressed: () => void;
}

export class SendLoop {
  private readonly signal = new Signal();
  private readonly backoff: Backoff;
  private state: State = 'idle';
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly transport: Transport,
    private readonly buffer: SinkBuffer,
    private readonly reporter: SinkReporter,
    private readonly options: SendLoopOptions,
  ) {
    this.backoff = new Backoff(options.backoff.initialMs, options.backoff.maxMs);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Ends the loop after the step it is in; resolves once it has ended. */
  stop(): Promise<void> {
    this.state = 'stopped';
    this.signal.notify();
    return this.loop;
  }

  /** Events were validated: wakes an idle loop, or a lingering one once a batch is full. */
  queued(): void {
    if (this.state === 'idle' || (this.state === 'linger' && this.buffer.fullBatch))
      this.signal.notify();
  }

  /** A flush waits: a lingering loop sends what it has now. */
  hurry(): void {
    if (this.state === 'linger') this.signal.notify();
  }

  /** The transport can send again: a loop waiting out an outage or a backoff tries at once. */
  ready(): void {
    if (this.state === 'offline' || this.state === 'backoff') this.signal.notify();
  }

  private async run(): Promise<void> {
    while (this.state !== 'stopped') {
      try {
        await this.cycle();
      } catch (error) {
        // Only a bug gets here; keep the loop alive rather than strand the buffer.
        this.reporter.problem({ code: 'publish_failed', message: `send loop: ${describe(error)}` });
        await this.wait('backoff', this.backoff.next());
      }
    }
  }

  private async cycle(): Promise<void> {
    this.buffer.sealGapsIfDue();
    if (!this.buffer.resending) {
      if (this.buffer.pendingCount === 0) {
        this.options.progressed();
        return this.wait('idle');
      }
      const lingered = this.buffer.lingered();
      if (!this.buffer.fullBatch && !this.options.urgent() && lingered < this.options.lingerMs)
        return this.wait('linger', this.options.lingerMs - lingered);
    }
    if (!this.transport.ready) return this.wait('offline', this.backoff.next());
    const batch = this.buffer.nextBatch();
    this.state = 'sending';
    const outcomes = await this.transport.send(batch);
    if (this.settle(batch, outcomes)) {
      this.reporter.retried();
      await this.wait('backoff', this.backoff.next());
    } else this.backoff.reset();
  }

  /** Applies the outcomes of a send; answers whether to back off before the next. */
  private settle(batch: readonly Entry[], outcomes: readonly Outcome[]): boolean {
    const kept: Entry[] = [];
    let acked = 0;
    let dropped = 0;
    let transient: string | undefined;
    batch.forEach((entry, index) => {
      const verdict = verdictOn(entry, outcomes[index]);
      switch (verdict.kind) {
        case 'acked':
          acked++;
          return this.buffer.acknowledged(entry, verdict.duplicate);
        case 'kept':
          transient ??= verdict.transient;
          return void kept.push(entry);
        case 'dropped':
          dropped++;
          return this.buffer.rejected(entry, verdict.errors, verdict.message);
      }
    });
    this.buffer.retain(kept, acked > 0);
    if (acked > 0) this.reporter.acked(acked);
    this.options.progressed();
    if (transient !== undefined)
      this.reporter.problem({
        code: 'publish_failed',
        message: transient,
        attempt: this.backoff.attempts + 1,
      });
    // Nothing moved (only "again"): back off rather than spin.
    return transient !== undefined || (acked === 0 && dropped === 0 && batch.length > 0);
  }

  private async wait(state: State, ms?: number): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = state;
    await this.signal.wait(ms);
  }
}
