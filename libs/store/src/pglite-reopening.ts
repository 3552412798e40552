import { PGlite } from '@electric-sql/pglite';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
  CompiledQuery as Compiled,
} from 'kysely';
import { isTrap, StoreTrapError, StoreUnavailableError } from './store-errors';

/** Called once when the store cannot be brought back: the service must exit (a supervisor restarts it). */
export type FatalHook = (reason: string) => void;

/**
 * One PGlite instance that is replaced when it traps. A WebAssembly trap (`RuntimeError:
 * unreachable`, `memory access out of bounds`) leaves the instance unusable for good;
 * every later query would fail. So the query that trapped fails with
 * {@link StoreTrapError}, the instance is dropped (its memory is left to the garbage
 * collector) and a new one opened on the same data directory (PostgreSQL's crash recovery
 * replays the WAL), and the next query uses it.
 * If reopening fails, the store is broken: `broken` says why and `onFatal` is called.
 */
export class ReopeningPGlite {
  private current: PGlite;
  private reopening: Promise<void> | undefined;
  /** Why the store cannot answer any more (undefined while it works). */
  broken: string | undefined;
  private closed = false;
  /** How often the instance was reopened after a trap. */
  reopened = 0;

  private constructor(
    private readonly dataDir: string,
    first: PGlite,
    private readonly onFatal: FatalHook,
    private readonly create: (dataDir: string) => Promise<PGlite>,
  ) {
    this.current = first;
  }

  static async open(
    dataDir: string,
    onFatal: FatalHook,
    create: (dataDir: string) => Promise<PGlite> = (dir) => PGlite.create(dir),
  ): Promise<ReopeningPGlite> {
    return new ReopeningPGlite(dataDir, await create(dataDir), onFatal, create);
  }

  async query(sql: string, parameters: readonly unknown[]): Promise<QueryResult<unknown>> {
    // PGlite runs each statement on this thread, and its promises chain the next one in
    // microtasks: a read of a thousand statements (a tree of a million events) would keep
    // the event loop from its poll phase for its whole length. No socket would be read
    // meanwhile, and Node answered 408 to every request that connected during it (its
    // headers never parsed within RUNLOG_HTTP_HEADERS_TIMEOUT), health checks included.
    // One turn of the loop before each statement lets I/O in between.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.reopening;
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    if (this.broken !== undefined) throw new StoreUnavailableError(this.broken);
    const instance = this.current;
    try {
      const result = await instance.query(sql, [...parameters]);
      const rows = result.rows;
      return result.affectedRows
        ? { rows, numAffectedRows: BigInt(result.affectedRows) }
        : { rows };
    } catch (error) {
      if (!isTrap(error)) throw error;
      if (instance === this.current) this.reopening ??= this.reopen(error);
      await this.reopening;
      throw new StoreTrapError(
        `the embedded store trapped (${error.message}) and was ${this.broken === undefined ? 'reopened' : 'not reopened'}`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reopening;
    if (this.broken !== undefined) return; // the instance in hand trapped: never close it (see reopen)
    await this.current.close().catch(() => undefined);
  }

  private async reopen(trap: Error): Promise<void> {
    try {
      // A trapped instance is dropped, never closed: closing it syncs its file system out
      // of corrupted memory, which can abort the whole process (a V8 fatal error).
      this.current = await this.create(this.dataDir);
      this.reopened++;
    } catch (error) {
      this.broken = `the embedded store trapped (${trap.message}) and could not be reopened: ${error instanceof Error ? error.message : String(error)}`;
      this.onFatal(this.broken);
    } finally {
      this.reopening = undefined;
    }
  }
}

/** A Kysely dialect over a {@link ReopeningPGlite}: one connection at a time, like PGlite itself. */
export class ReopeningPGliteDialect implements Dialect {
  constructor(private readonly pglite: ReopeningPGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new SerialDriver(this.pglite);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}

class SerialDriver implements Driver {
  private readonly connection: DatabaseConnection;
  private busy = false;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly pglite: ReopeningPGlite) {
    this.connection = {
      executeQuery: <R>(query: CompiledQuery) =>
        pglite.query(query.sql, query.parameters) as Promise<QueryResult<R>>,
      streamQuery: () => {
        throw new Error('streaming queries are not supported on PGlite');
      },
    };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.busy) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.busy = true;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.queue.shift();
    if (next) next();
    else this.busy = false;
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const begin = settings.isolationLevel
      ? `start transaction isolation level ${settings.isolationLevel}`
      : 'begin';
    await conn.executeQuery(Compiled.raw(begin));
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(Compiled.raw('commit'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(Compiled.raw('rollback'));
  }

  async destroy(): Promise<void> {
    await this.pglite.close();
  }
}
