import { Inject, Injectable } from '@nestjs/common';
import { type Extensions, streamName } from '@runlog/contracts';
import { type GapList, listGaps, STORE, type Store } from '@runlog/store';
import { type Selectable, sql } from 'kysely';
import { type Anomaly, type LeaseStateName, type LeaseView } from '../projection/lease-state';
import { type LeaseHistoryDb, type LeasesTable, SCHEMA } from '../store/lease-history.schema';

const LEASE_STREAM = streamName('lease_history');

/** One event of an execution's lease history (DESIGN.md §4), also each SSE `data`. */
export interface HistoryEvent {
  readonly cursor: string;
  readonly kind: string;
  readonly id: string;
  readonly time: string;
  /** The event's CloudEvents extension attributes; absent when it had none. */
  readonly extensions?: Extensions;
  readonly data: unknown;
}

/** A history event as answered: `extensions` only when the event had some. */
export function historyEvent(
  event: Omit<HistoryEvent, 'extensions'>,
  extensions: Extensions | null | undefined,
): HistoryEvent {
  return extensions === null || extensions === undefined ? event : { ...event, extensions };
}

export interface HistoryPage {
  readonly execution_id: string;
  readonly events: readonly HistoryEvent[];
  readonly next_after: string | null;
}

/**
 * A history page also stops once its events' `data` passes this many bytes of JSON (always
 * at least one event): 1,000 events of up to 1 MiB each would otherwise be a gigabyte.
 */
export const HISTORY_PAGE_MAX_BYTES = 8 * 1024 * 1024;

/** How many anomalies a lease answer lists: the first, in cursor order. */
export const LEASE_ANOMALIES_CAP = 100;

/**
 * A lease as the API answers it: the view, its anomalies cut to the first
 * {@link LEASE_ANOMALIES_CAP}, and `anomalies_omitted` counting the rest (absent when none).
 */
export interface LeaseAnswer extends LeaseView {
  readonly anomalies_omitted?: number;
}

export interface LeasesPage {
  readonly leases: readonly LeaseAnswer[];
  readonly next_after: string | null;
}

export interface LeaseFilter {
  readonly state?: LeaseStateName;
  readonly owner?: string;
  /** The last execution id of the previous page. */
  readonly after?: string;
  readonly limit: number;
}

/** The reads behind lease-history's HTTP API: plain SQL over the projection's tables. */
@Injectable()
export class LeaseQueryService {
  /** A page of history stops once its events' data passes this many bytes (default 8 MiB). */
  private pageMaxBytes = HISTORY_PAGE_MAX_BYTES;

  constructor(@Inject(STORE) private readonly store: Store<LeaseHistoryDb>) {}

  /** For tests: a smaller byte bound of history pages. */
  withPageMaxBytes(bytes: number): this {
    this.pageMaxBytes = bytes;
    return this;
  }

  /** The current lease of an execution; `undefined` when no lease event was seen for it. */
  async lease(executionId: string): Promise<LeaseAnswer | undefined> {
    const row = await this.leaseRows().where('execution_id', '=', executionId).executeTakeFirst();
    return row && leaseOf(row);
  }

  /** Lease events after a cursor, in cursor order; `undefined` for an unknown execution. */
  async history(
    executionId: string,
    after: number,
    limit: number,
  ): Promise<HistoryPage | undefined> {
    // limit + 1 rows by the index, cut by the database where their data passes the byte
    // bound: the service holds at most `limit` events and about HISTORY_PAGE_MAX_BYTES.
    const { rows } = await sql<{
      seq: string | number;
      kind: string;
      id: string;
      time: string;
      data: unknown;
      extensions: Extensions | null;
      fetched: string | number;
    }>`
      with page as (
        select seq, kind, id, time, data, extensions from lease_history.events
        where execution_id = ${executionId} and stream = ${LEASE_STREAM} and seq > ${after}
        order by seq
        limit ${limit + 1}),
      sized as (
        select *, count(*) over () as fetched,
          sum(octet_length(data::text)) over (order by seq rows unbounded preceding)
            - octet_length(data::text) as before
        from page)
      select seq, kind, id, time, data, extensions, fetched from sized
      where before < ${this.pageMaxBytes}
      order by seq`.execute(this.store.db);
    if (rows.length === 0 && !(after > 0 && (await this.hasHistory(executionId)))) return undefined;
    const kept = rows.slice(0, limit);
    const page = kept.map((row): HistoryEvent =>
      historyEvent(
        {
          cursor: String(Number(row.seq)),
          kind: row.kind,
          id: row.id,
          time: row.time,
          data: row.data,
        },
        row.extensions,
      ),
    );
    const more = Number(rows[0]?.fetched ?? 0) > kept.length;
    return {
      execution_id: executionId,
      events: page,
      next_after: more ? (page.at(-1)?.cursor ?? null) : null,
    };
  }

  /** Leases by execution id, filtered by state and owner. */
  async leases(filter: LeaseFilter): Promise<LeasesPage> {
    let query = this.leaseRows();
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.owner) query = query.where('owner', '=', filter.owner);
    if (filter.after !== undefined) query = query.where('execution_id', '>', filter.after);
    const rows = await query
      .orderBy('execution_id')
      .limit(filter.limit + 1)
      .execute();
    const leases = rows.slice(0, filter.limit).map(leaseOf);
    const more = rows.length > filter.limit;
    return { leases, next_after: more ? (leases.at(-1)?.execution_id ?? null) : null };
  }

  /** Gaps the consumers saw, oldest first. */
  gaps(): Promise<GapList> {
    return listGaps(this.store.db, SCHEMA);
  }

  /**
   * Lease rows with their anomalies already cut by the database: however many an execution
   * piled up, the service reads the first LEASE_ANOMALIES_CAP and their count.
   */
  private leaseRows() {
    return this.store.db
      .selectFrom('lease_history.leases')
      .select([
        'execution_id',
        'state',
        'owner',
        'lease_id',
        'acquired_at',
        'renewed_at',
        'renewals',
        'outcome',
        'cursor',
      ])
      .select([
        sql<unknown[]>`jsonb_path_query_array(anomalies, ${ANOMALIES_PATH}::jsonpath)`.as(
          'anomalies',
        ),
        sql<number>`jsonb_array_length(anomalies)`.as('anomaly_count'),
      ]);
  }

  private async hasHistory(executionId: string): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('lease_history.events')
      .select('seq')
      .where('execution_id', '=', executionId)
      .where('stream', '=', LEASE_STREAM)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}

const ANOMALIES_PATH = `$[0 to ${LEASE_ANOMALIES_CAP - 1}]`;

type LeaseRow = Omit<Selectable<LeasesTable>, 'anomalies'> & {
  readonly anomalies: unknown[];
  readonly anomaly_count: number;
};

function leaseOf(row: LeaseRow): LeaseAnswer {
  const omitted = Number(row.anomaly_count) - row.anomalies.length;
  return {
    execution_id: row.execution_id,
    state: row.state as LeaseStateName,
    owner: row.owner,
    lease_id: row.lease_id,
    acquired_at: row.acquired_at,
    renewed_at: row.renewed_at,
    renewals: row.renewals,
    outcome: (row.outcome ?? null) as LeaseView['outcome'],
    cursor: String(Number(row.cursor)),
    anomalies: row.anomalies as Anomaly[],
    ...(omitted > 0 ? { anomalies_omitted: omitted } : {}),
  };
}
