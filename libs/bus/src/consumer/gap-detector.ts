import { type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { type Gap } from './gap';

const FIRST_SEQ_TTL_MS = 1_000;

/**
 * Sees the stream sequence jump in an unfiltered durable consumer and tells a jump caused
 * by retention (a gap: the missing messages are gone from the stream) from one caused by
 * another instance sharing the durable (the messages still exist).
 */
export class GapDetector {
  private last = 0;
  private firstSeq = 0;
  private firstSeqAt = 0;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly family: string,
    private readonly consumer: string,
    private readonly report: (gap: Gap) => Promise<void>,
  ) {}

  /** Starts from the consumer's ack floor: everything up to it was handled. */
  startAfter(ackFloor: number): void {
    this.last = Math.max(this.last, ackFloor);
  }

  /** Reports the gap before `message`, if any; throws if the report fails (the message is retried). */
  async observe(message: JsMsg): Promise<void> {
    const seq = message.seq;
    if (seq <= this.last + 1) {
      this.last = Math.max(this.last, seq);
      return;
    }
    let first = await this.streamFirstSeq(false);
    if (first <= this.last + 1) first = await this.streamFirstSeq(true);
    const from = this.last + 1;
    const to = Math.min(seq, first) - 1;
    if (to >= from) {
      await this.report({
        family: this.family,
        consumer: this.consumer,
        from_cursor: String(from),
        to_cursor: String(to),
        missing: to - from + 1,
      });
    }
    this.last = seq;
  }

  private async streamFirstSeq(fresh: boolean): Promise<number> {
    if (fresh || Date.now() - this.firstSeqAt > FIRST_SEQ_TTL_MS) {
      const info = await this.jsm.streams.info(this.stream);
      this.firstSeq = info.state.first_seq;
      this.firstSeqAt = Date.now();
    }
    return this.firstSeq;
  }
}
