import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { type Family } from '@runlog/contracts';
import { isObservable, lastValueFrom } from 'rxjs';
import { type Bus, type RunningConsumer } from '../bus';
import { type HandlerBinding } from '../consumer/consumer-spec';
import { type BatchOutcome, type Outcome } from '../consumer/outcome';
import { JETSTREAM_BINDING, type JetStreamHandlerOptions } from './jetstream-handler.decorator';

/**
 * A NestJS transport for JetStream durable pull consumers (STYLE.md: a `Server` subclass
 * like Nest's own NATS transport, which has no JetStream). Every `@JetStreamHandler`
 * becomes a durable consumer; a handler's failure arrives as an erroring Observable and is
 * awaited before deciding, so it is retried, never acked.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly running: RunningConsumer[] = [];

  constructor(private readonly bus: Bus) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const [, handler] of this.getHandlers()) {
        const binding = handler.extras?.[JETSTREAM_BINDING] as JetStreamHandlerOptions | undefined;
        if (!binding) continue;
        const { batch, ...options } = binding;
        this.running.push(
          await this.bus.consume({ ...options, handler: this.bind(handler, batch) }),
        );
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.running.splice(0).map((consumer) => consumer.stop()));
  }

  on(): never {
    throw new Error('JetStreamServer has no status events: the Bus logs connection status');
  }

  unwrap<T>(): T {
    return this.bus.connection as T;
  }

  private bind(handler: MessageHandler, batch: number | undefined): HandlerBinding<Family> {
    // Nest's handler resolves to what the method returned (its own promise already awaited):
    // an Observable, awaited to its last value so that its error is a retry, or a plain
    // value, taken as is (no Observable built around it: this runs once per event).
    const call = async <R>(data: unknown, context: unknown): Promise<R | undefined> => {
      const result: unknown = await handler(data, context);
      const value: unknown = isObservable(result)
        ? await lastValueFrom(result, { defaultValue: undefined })
        : result;
      return (value ?? undefined) as R | undefined;
    };
    if (batch !== undefined) {
      return {
        mode: 'batch',
        size: batch,
        handle: (events, context) => call<BatchOutcome>(events, context),
      };
    }
    return { mode: 'event', handle: (event, context) => call<Outcome>(event, context) };
  }
}
