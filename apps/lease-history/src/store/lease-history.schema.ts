import { type Completed, type Extensions } from '@runlog/contracts';
import { type BigIntColumn, createGapsTable, type JsonColumn } from '@runlog/store';
import { type ColumnType, type Kysely, type Migration } from 'kysely';
import { type LeaseEventData } from '../projection/lease-state';

/** lease-history's own schema in the shared database (its migration table lives there too). */
export const SCHEMA = 'lease_history';

/** Every lease_history and completion event applied, keyed by where it was stored. */
export interface EventsTable {
  readonly stream: string;
  readonly seq: BigIntColumn;
  readonly execution_id: string;
  readonly family: string;
  readonly kind: string;
  readonly id: string;
  readonly time: string;
  /** The event's `data` as validated when it was published. */
  readonly data: JsonColumn<LeaseEventData | Completed>;
  /** The event's CloudEvents extension attributes; null when it had none (or before 0002). */
  readonly extensions: ColumnType<Extensions | null, string | null, string | null>;
}

/** The current lease view of each execution (recomputed from its events on every batch). */
export interface LeasesTable {
  readonly execution_id: string;
  readonly state: string;
  readonly owner: string | null;
  readonly lease_id: string | null;
  readonly acquired_at: string | null;
  readonly renewed_at: string | null;
  readonly renewals: number;
  readonly outcome: JsonColumn<unknown>;
  readonly cursor: BigIntColumn;
  readonly anomalies: JsonColumn<unknown[]>;
}

export interface LeaseHistoryDb {
  'lease_history.events': EventsTable;
  'lease_history.leases': LeasesTable;
}

/** Versioned migrations, applied in name order at start. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_init': {
    up: async (db: Kysely<unknown>) => {
      const schema = db.schema.withSchema(SCHEMA);
      await schema
        .createTable('events')
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('execution_id', 'text', (c) => c.notNull())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('data', 'jsonb', (c) => c.notNull())
        .addPrimaryKeyConstraint('events_pk', ['stream', 'seq'])
        .execute();
      await schema
        .createIndex('events_by_execution')
        .on('events')
        .columns(['execution_id', 'stream', 'seq'])
        .execute();
      await schema
        .createTable('leases')
        .addColumn('execution_id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('lease_id', 'text')
        .addColumn('acquired_at', 'text')
        .addColumn('renewed_at', 'text')
        .addColumn('renewals', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'jsonb')
        .addColumn('cursor', 'bigint', (c) => c.notNull())
        .addColumn('anomalies', 'jsonb', (c) => c.notNull())
        .execute();
      await schema
        .createIndex('leases_by_state')
        .on('leases')
        .columns(['state', 'execution_id'])
        .execute();
      await schema
        .createIndex('leases_by_owner')
        .on('leases')
        .columns(['owner', 'execution_id'])
        .execute();
      await createGapsTable(db, SCHEMA);
    },
  },
  // CloudEvents extension attributes, shown with each history event (docs/decisions.md D34).
  '0002_extensions': {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .withSchema(SCHEMA)
        .alterTable('events')
        .addColumn('extensions', 'jsonb')
        .execute();
    },
  },
};
