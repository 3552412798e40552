import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { createEventSink, type EventSinkConfig } from '../create-event-sink';
import { NoopEventSink } from '../sinks/noop-event-sink';
import { type EventSink } from '../types';

/** The injection token of the application's {@link EventSink}. */
export const EVENT_SINK = Symbol.for('runlog.EventSink');

/** `@InjectEventSink() private readonly events: EventSink` */
export const InjectEventSink = (): PropertyDecorator & ParameterDecorator => Inject(EVENT_SINK);

export type RunlogSinkModuleOptions = EventSinkConfig & {
  /** Register the sink in every module (default true). */
  readonly global?: boolean;
  /** How long shutdown waits for unacknowledged events (default 10 s). */
  readonly closeTimeoutMs?: number;
};

export interface RunlogSinkModuleAsyncOptions {
  readonly imports?: DynamicModule['imports'];
  readonly inject?: unknown[];
  readonly useFactory: (
    ...deps: never[]
  ) => RunlogSinkModuleOptions | Promise<RunlogSinkModuleOptions>;
  readonly global?: boolean;
}

const OPTIONS = Symbol('runlog.EventSinkOptions');
const logger = new Logger('RunlogSink');

/** Flushes and closes the sink the module built when the application shuts down. */
class SinkLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_SINK) private readonly sink: EventSink,
    @Inject(OPTIONS) private readonly options: RunlogSinkModuleOptions,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if ('sink' in this.options && this.options.sink) return; // the caller's to close
    const result = await this.sink.close(this.options.closeTimeoutMs);
    if (!result.ok)
      logger.warn(`closed with ${result.pending} events not acknowledged by runlog (dropped)`);
  }
}

/**
 * Provides an {@link EventSink} under {@link EVENT_SINK}: a NATS or HTTP sink from the
 * options, or the no-op sink (with a warning) when nothing is configured. Building it never
 * waits for runlog; it is flushed and closed at application shutdown, after every other
 * module's `onModuleDestroy` (which may still emit).
 */
@Module({})
export class RunlogSinkModule {
  static forRoot(options: RunlogSinkModuleOptions = {}): DynamicModule {
    return RunlogSinkModule.forRootAsync({
      useFactory: () => options,
      ...(options.global === undefined ? {} : { global: options.global }),
    });
  }

  static forRootAsync(options: RunlogSinkModuleAsyncOptions): DynamicModule {
    const settings: Provider = {
      provide: OPTIONS,
      inject: (options.inject ?? []) as never[],
      useFactory: options.useFactory,
    };
    const sink: Provider = {
      provide: EVENT_SINK,
      inject: [OPTIONS],
      useFactory: (config: RunlogSinkModuleOptions): EventSink => {
        const { global: _global, closeTimeoutMs: _timeout, ...chosen } = config;
        void [_global, _timeout];
        const built = createEventSink(chosen);
        if (built instanceof NoopEventSink)
          logger.warn(`runlog events are discarded: ${built.reason} (give nats or http options)`);
        return built;
      },
    };
    return {
      module: RunlogSinkModule,
      global: options.global ?? true,
      imports: options.imports ?? [],
      providers: [settings, sink, SinkLifecycle],
      exports: [EVENT_SINK],
    };
  }
}
