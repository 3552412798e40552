import { EventPattern } from '@nestjs/microservices';
import { type Family } from '@runlog/contracts';
import { type ConsumerOptions } from '../consumer/consumer-spec';

/** What a `@JetStreamHandler` binds: a durable on one family, per event or per batch. */
export interface JetStreamHandlerOptions<F extends Family = Family> extends ConsumerOptions {
  readonly family: F;
  /** Batch handler: called with up to `batch` events in stream order. */
  readonly batch?: number;
}

/** The extras key under which the binding travels on `@EventPattern`. */
export const JETSTREAM_BINDING = 'runlogJetStream';

/** The Nest pattern of a binding: built here only, never typed inline (STYLE.md). */
export function jetStreamPattern(durable: string, family: Family): string {
  return `jetstream:${durable}:${family}`;
}

/**
 * Marks a method as the handler of a durable pull consumer on a family stream. Take the
 * event with `@Payload()` and the context with `@Ctx()` (Nest passes only the payload to a
 * method without parameter decorators): `(@Payload() event: DeliveredEvent<F>, @Ctx() ctx:
 * EventContext)`, or with `batch`, `(@Payload() events, @Ctx() ctx: BatchContext)`. Return
 * an `Outcome`, nothing (ack), or an Observable of either.
 */
export function JetStreamHandler<F extends Family>(
  options: JetStreamHandlerOptions<F>,
): MethodDecorator {
  return EventPattern<string>(jetStreamPattern(options.durable, options.family), {
    [JETSTREAM_BINDING]: options,
  });
}
