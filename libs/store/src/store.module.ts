import {
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { type Migration } from 'kysely';
import { migrateToLatest } from './migrations';
import { openStore, type Store, type StoreTarget } from './store';

/** The injection token of a service's open, migrated {@link Store}. */
export const STORE = Symbol.for('runlog.store');

export interface StoreModuleOptions {
  readonly target: StoreTarget;
  /** The service's own schema: its tables and its migration table live there. */
  readonly schema: string;
  readonly migrations: Readonly<Record<string, Migration>>;
}

/** Closes the store once the application (and its consumers) have stopped. */
class StoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(STORE) private readonly store: Store<unknown>) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * Owns a service's SQL store: opens it (PostgreSQL or PGlite), runs the migrations at
 * start, injects it as {@link STORE}, closes it at shutdown.
 */
@Module({})
export class StoreModule {
  static forRoot(options: StoreModuleOptions): DynamicModule {
    const store: Provider = {
      provide: STORE,
      useFactory: async () => {
        const opened = await openStore<unknown>(options.target);
        try {
          await migrateToLatest(opened.db, options.schema, options.migrations);
        } catch (error) {
          await opened.close();
          throw error;
        }
        return opened;
      },
    };
    return {
      module: StoreModule,
      global: true,
      providers: [store, StoreLifecycle],
      exports: [STORE],
    };
  }
}
