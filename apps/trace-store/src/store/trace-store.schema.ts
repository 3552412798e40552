import { type Extensions } from '@runlog/contracts';
import { type BigIntColumn, createGapsTable, type JsonColumn } from '@runlog/store';
import { type ColumnType, type Kysely, type Migration, sql } from 'kysely';
import { type StoredTraceState } from './trace-state';

/** trace-store's own schema in the shared database (its migration table lives there too). */
export const SCHEMA = 'trace_store';

/** Every trace event, once per (request_id, event_id), with the cursor it was first stored at. */
export interface EventsTable {
  readonly request_id: string;
  readonly event_id: string;
  readonly cursor: BigIntColumn;
  readonly kind: string;
  readonly op_name: string | null;
  readonly ctx: JsonColumn<string[]>;
  /** RFC 3339 UTC with milliseconds. */
  readonly timestamp: string;
  readonly ts_ms: BigIntColumn;
  readonly seq: BigIntColumn;
  readonly payload: JsonColumn<Record<string, unknown>>;
  /** The event's CloudEvents extension attributes; null when it had none (or before 0004). */
  readonly extensions: ColumnType<Extensions | null, string | null, string | null>;
}

/**
 * One row per trace: what search filters and lists, kept incrementally by the projection
 * (trace-aggregate.ts); `state` is the rest of the aggregate, read only by the projection.
 */
export interface TracesTable {
  readonly request_id: string;
  readonly started_at: string;
  readonly ended_at: string;
  readonly started_ms: BigIntColumn;
  readonly ended_ms: BigIntColumn;
  readonly duration_ms: BigIntColumn;
  readonly status: string;
  readonly ops: number;
  readonly errors: number;
  readonly total_tokens: BigIntColumn;
  readonly cost_usd: number;
  readonly op_names: ColumnType<string[], string[], string[]>;
  readonly events: number;
  /** Null on rows written before 0002_incremental_summary: rebuilt on the next batch. */
  readonly state: JsonColumn<StoredTraceState | null>;
}

/**
 * LLM usage per trace and model, named as OpenTelemetry GenAI does
 * (`gen_ai.usage.input_tokens` / `output_tokens`); the API answers the DESIGN.md names
 * (`prompt_tokens` / `completion_tokens`). `started_ms` is the trace's start, for ranges.
 */
export interface UsageTable {
  readonly request_id: string;
  readonly model: string;
  readonly started_ms: BigIntColumn;
  readonly input_tokens: BigIntColumn;
  readonly output_tokens: BigIntColumn;
  readonly total_tokens: BigIntColumn;
  readonly cost_usd: number;
  readonly calls: number;
}

export interface TraceStoreDb {
  'trace_store.events': EventsTable;
  'trace_store.traces': TracesTable;
  'trace_store.usage': UsageTable;
}

/** Versioned migrations, applied in name order at start. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_init': {
    up: async (db: Kysely<unknown>) => {
      const schema = db.schema.withSchema(SCHEMA);
      await schema
        .createTable('events')
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('cursor', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('op_name', 'text')
        .addColumn('ctx', 'jsonb', (c) => c.notNull())
        .addColumn('timestamp', 'text', (c) => c.notNull())
        .addColumn('ts_ms', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addPrimaryKeyConstraint('events_pk', ['request_id', 'event_id'])
        .execute();
      await schema
        .createTable('traces')
        .addColumn('request_id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text', (c) => c.notNull())
        .addColumn('started_ms', 'bigint', (c) => c.notNull())
        .addColumn('ended_ms', 'bigint', (c) => c.notNull())
        .addColumn('duration_ms', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('ops', 'integer', (c) => c.notNull())
        .addColumn('errors', 'integer', (c) => c.notNull())
        .addColumn('total_tokens', 'bigint', (c) => c.notNull())
        .addColumn('cost_usd', 'double precision', (c) => c.notNull())
        .addColumn('op_names', sql`text[]`, (c) => c.notNull())
        .addColumn('events', 'integer', (c) => c.notNull())
        .execute();
      // Search: newest first, by time range, then status / duration / op name.
      await schema
        .createIndex('traces_by_start')
        .on('traces')
        .columns(['started_ms desc', 'request_id desc'])
        .execute();
      await schema
        .createIndex('traces_by_status')
        .on('traces')
        .columns(['status', 'started_ms desc'])
        .execute();
      await schema
        .createIndex('traces_by_op')
        .on('traces')
        .using('gin')
        .column('op_names')
        .execute();
      await schema
        .createTable('usage')
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('started_ms', 'bigint', (c) => c.notNull())
        .addColumn('input_tokens', 'bigint', (c) => c.notNull())
        .addColumn('output_tokens', 'bigint', (c) => c.notNull())
        .addColumn('total_tokens', 'bigint', (c) => c.notNull())
        .addColumn('cost_usd', 'double precision', (c) => c.notNull())
        .addColumn('calls', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_pk', ['request_id', 'model'])
        .execute();
      await schema
        .createIndex('usage_by_time')
        .on('usage')
        .columns(['started_ms', 'model'])
        .execute();
      await createGapsTable(db, SCHEMA);
    },
  },
  // Summaries kept incrementally (docs/decisions.md D19): what the projection folds besides
  // the columns search reads (existing rows keep null and are rebuilt when next touched),
  // and lock_traces, which locks a batch's traces and reads their rows in one call.
  '0002_incremental_summary': {
    up: async (db: Kysely<unknown>) => {
      await db.schema.withSchema(SCHEMA).alterTable('traces').addColumn('state', 'jsonb').execute();
      // One advisory lock per trace, in one order (C collation) so replicas locking
      // overlapping traces queue instead of deadlocking; then the rows. VOLATILE: in READ
      // COMMITTED each statement of it takes a new snapshot, so the read sees what every
      // holder of those locks before us committed, though the calling statement's own
      // snapshot is older. Called from the statement that inserts the batch's events.
      await sql`
        create function trace_store.lock_traces(namespace integer, ids text[])
        returns setof trace_store.traces
        language plpgsql volatile
        as $$
        begin
          perform pg_advisory_xact_lock(namespace, hashtext(id))
          from (select distinct id from unnest(ids) as id) as batch
          order by id collate "C";
          return query select * from trace_store.traces as t where t.request_id = any(ids);
        end
        $$`.execute(db);
    },
  },
  // Bounded reads (trace-reads.ts): a trace's events in the model's order, a page or a
  // chunk at a time from a keyset position (event_id in "C" collation: code point order,
  // whatever the database's own), and the position of the event a cursor names.
  '0003_read_paths': {
    up: async (db: Kysely<unknown>) => {
      await sql`
        create index events_in_order on trace_store.events
          (request_id, ts_ms, seq, cursor, event_id collate "C")`.execute(db);
      await sql`
        create index events_by_cursor on trace_store.events (request_id, cursor)`.execute(db);
    },
  },
  // CloudEvents extension attributes, shown with each event of a page (docs/decisions.md D34).
  '0004_extensions': {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .withSchema(SCHEMA)
        .alterTable('events')
        .addColumn('extensions', 'jsonb')
        .execute();
    },
  },
};
