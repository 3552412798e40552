import {
  type DynamicModule,
  Inject,
  Logger,
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
  /**
   * What to do when the store is broken for good (default: log it and exit the process
   * with code 70, EX_SOFTWARE, so a supervisor restarts the service instead of it
   * answering 500). Readiness reports the reason meanwhile.
   */
  readonly onFatal?: (reason: string) => void;
}

/** Exits so that a supervisor restarts the service (after the log line is written). */
function exitForRestart(reason: string): void {
  new Logger('Store').error(`the store is broken, exiting for a restart: ${reason}`);
  process.exitCode = 70;
  setImmediate(() => process.exit(70));
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
        const opened = await openStore<unknown>(options.target, {
          onFatal: options.onFatal ?? exitForRestart,
          onMaintenanceError: (error) =>
            new Logger('Store').warn(
              `maintenance (vacuum and analyze) failed, tried again later: ${error instanceof Error ? error.message : String(error)}`,
            ),
        });
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
