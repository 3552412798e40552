import { type JsMsg } from '@nats-io/jetstream';
import { type MsgHdrs } from '@nats-io/transport-node';

/**
 * What a handler knows about one delivered message besides the typed event (STYLE.md 4,
 * like Nest's `NatsContext`): where it came from, how often it was delivered, and the raw
 * JetStream message for anything else.
 */
export class EventContext {
  constructor(
    /** The JetStream stream sequence in the family stream: the cursor. */
    readonly cursor: string,
    /** The family stream (`RUNLOG_TRACE`), also for a re-driven dead letter. */
    readonly stream: string,
    /** The family subject (`events.trace.req-1`). */
    readonly subject: string,
    /** 1 on the first delivery. */
    readonly deliveryCount: number,
    /** The durable consumer delivering it. */
    readonly consumer: string,
    /** True when an operator re-drove it from the dead letters (docs/decisions.md D3). */
    readonly redriven: boolean,
    /** The raw JetStream message. */
    readonly message: JsMsg,
  ) {}

  /** Message headers (`Nats-Msg-Id`, `ce-type`, …). */
  get headers(): MsgHdrs | undefined {
    return this.message.headers;
  }

  /** Tells the server the handler is still working, resetting the ack deadline. */
  working(): void {
    this.message.working();
  }
}

/** The context of a batch: one {@link EventContext} per event, in the same order. */
export class BatchContext {
  constructor(
    readonly consumer: string,
    readonly stream: string,
    readonly items: readonly EventContext[],
  ) {}

  /** The cursor of the last event of the batch. */
  get lastCursor(): string {
    return this.items[this.items.length - 1]?.cursor ?? '0';
  }

  /** Resets the ack deadline of every message of the batch (the runtime also does it on a timer). */
  working(): void {
    for (const item of this.items) item.working();
  }
}
