import {
  type DynamicModule,
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { Bus } from '../bus';
import { type BusOptions } from '../bus-options';
import { NEST_BUS_LOGGER } from './nest-bus-logger';

export interface BusModuleAsyncOptions {
  readonly imports?: DynamicModule['imports'];
  readonly inject?: unknown[];
  readonly useFactory: (...deps: never[]) => BusOptions | Promise<BusOptions>;
}

/** Closes the bus when the application shuts down (consumers finish, then drain). */
class BusLifecycle implements OnApplicationShutdown {
  constructor(@Inject(Bus) private readonly bus: Bus) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/**
 * Owns the NATS connection of a NestJS application: connects and provisions the streams
 * at start, injects {@link Bus} anywhere, drains at shutdown.
 */
@Global()
@Module({})
export class BusModule {
  static forRoot(options: BusOptions): DynamicModule {
    return BusModule.forRootAsync({ useFactory: () => options });
  }

  static forRootAsync(options: BusModuleAsyncOptions): DynamicModule {
    const bus: Provider = {
      provide: Bus,
      inject: (options.inject ?? []) as never[],
      useFactory: async (...deps: never[]) => {
        const busOptions = await options.useFactory(...deps);
        return Bus.connect({ ...busOptions, logger: busOptions.logger ?? NEST_BUS_LOGGER });
      },
    };
    return {
      module: BusModule,
      imports: options.imports ?? [],
      providers: [bus, BusLifecycle],
      exports: [Bus],
    };
  }
}
