import { Inject, Injectable } from '@nestjs/common';
import { listGaps, STORE, type Store, type StoredGap } from '@runlog/store';
import { sql } from 'kysely';
import { storedEvents } from '../projection/trace-projection';
import { SCHEMA, type TraceStoreDb } from '../store/trace-store.schema';
import {
  orderEvents,
  type TraceEventRow,
  type TraceStatus,
  type TraceUsage,
  type TraceWarning,
  traceUsage,
  traceWarnings,
  type UsageTotals,
} from '../trace/trace-model';
import { buildTree, type TraceTree } from '../trace/trace-tree';

/** `GET /v1/traces/{id}` (DESIGN.md §4): events in `(timestamp, seq)` order, each once. */
export interface TraceBody {
  readonly request_id: string;
  readonly events: readonly TraceEventRow[];
  readonly warnings: readonly TraceWarning[];
}

/** One trace of a search answer. */
export interface TraceListItem {
  readonly request_id: string;
  readonly started_at: string;
  readonly ended_at: string;
  readonly duration_ms: number;
  readonly status: string;
  readonly ops: number;
  readonly errors: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
}

export interface TraceSearch {
  /** Epoch ms, inclusive: traces that started at or after it. */
  readonly since?: number;
  /** Epoch ms, exclusive: traces that started before it. */
  readonly until?: number;
  readonly op?: string;
  readonly status?: TraceStatus;
  readonly minDurationMs?: number;
  readonly limit: number;
  /** The `next_after` of the previous page. */
  readonly after?: SearchCursor;
}

/** Where a page of the newest-first search ended: the last trace's start and id. */
export interface SearchCursor {
  readonly startedMs: number;
  readonly requestId: string;
}

/** `next_after` is opaque to clients: the last trace's start and id, base64url JSON. */
export function encodeSearchCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify([cursor.startedMs, cursor.requestId])).toString('base64url');
}

/** The cursor `encodeSearchCursor` wrote, or undefined for anything else. */
export function decodeSearchCursor(text: string): SearchCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return { startedMs: value[0] as number, requestId: value[1] };
    }
  } catch {
    // not one of ours
  }
  return undefined;
}

/** The reads behind trace-store's HTTP API: SQL for lists, the pure model for one trace. */
@Injectable()
export class TraceQueryService {
  constructor(@Inject(STORE) private readonly store: Store<TraceStoreDb>) {}

  /** A trace's events and warnings; `undefined` for an unknown trace. */
  async trace(requestId: string): Promise<TraceBody | undefined> {
    const rows = await this.events(requestId);
    return (
      rows && { request_id: requestId, events: orderEvents(rows), warnings: traceWarnings(rows) }
    );
  }

  async tree(requestId: string): Promise<TraceTree | undefined> {
    const rows = await this.events(requestId);
    return rows && buildTree(requestId, rows);
  }

  async usage(requestId: string): Promise<TraceUsage | undefined> {
    const rows = await this.events(requestId);
    return rows && traceUsage(requestId, rows);
  }

  /** Usage by model over the traces that started in a time range. */
  async usageByModel(filter: {
    readonly model?: string;
    readonly since?: number;
    readonly until?: number;
  }): Promise<{ by_model: Array<UsageTotals & { model: string }> }> {
    let query = this.store.db
      .selectFrom('trace_store.usage')
      .select((eb) => [
        'model',
        eb.fn.sum<string>('input_tokens').as('prompt_tokens'),
        eb.fn.sum<string>('output_tokens').as('completion_tokens'),
        eb.fn.sum<string>('total_tokens').as('total_tokens'),
        eb.fn.sum<number>('cost_usd').as('cost_usd'),
        eb.fn.sum<string>('calls').as('calls'),
      ]);
    if (filter.model !== undefined) query = query.where('model', '=', filter.model);
    if (filter.since !== undefined) query = query.where('started_ms', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('started_ms', '<', filter.until);
    const rows = await query.groupBy('model').orderBy('model').execute();
    return {
      by_model: rows.map((row) => ({
        model: row.model,
        prompt_tokens: Number(row.prompt_tokens),
        completion_tokens: Number(row.completion_tokens),
        total_tokens: Number(row.total_tokens),
        cost_usd: Math.round(Number(row.cost_usd) * 1e9) / 1e9,
        calls: Number(row.calls),
      })),
    };
  }

  /** Traces newest first, filtered, a page at a time. */
  async search(
    filter: TraceSearch,
  ): Promise<{ traces: TraceListItem[]; next_after: string | null }> {
    let query = this.store.db
      .selectFrom('trace_store.traces')
      .select([
        'request_id',
        'started_at',
        'ended_at',
        'started_ms',
        'duration_ms',
        'status',
        'ops',
        'errors',
        'total_tokens',
        'cost_usd',
      ]);
    if (filter.since !== undefined) query = query.where('started_ms', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('started_ms', '<', filter.until);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.minDurationMs !== undefined)
      query = query.where('duration_ms', '>=', filter.minDurationMs);
    if (filter.op !== undefined)
      query = query.where(sql<boolean>`op_names @> array[${filter.op}]::text[]`);
    const after = filter.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('started_ms', '<', after.startedMs),
          eb.and([eb('started_ms', '=', after.startedMs), eb('request_id', '<', after.requestId)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('started_ms', 'desc')
      .orderBy('request_id', 'desc')
      .limit(filter.limit + 1)
      .execute();
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      traces: page.map((row) => ({
        request_id: row.request_id,
        started_at: row.started_at,
        ended_at: row.ended_at,
        duration_ms: Number(row.duration_ms),
        status: row.status,
        ops: row.ops,
        errors: row.errors,
        total_tokens: Number(row.total_tokens),
        cost_usd: row.cost_usd,
      })),
      next_after:
        rows.length > filter.limit && last
          ? encodeSearchCursor({ startedMs: Number(last.started_ms), requestId: last.request_id })
          : null,
    };
  }

  gaps(): Promise<readonly StoredGap[]> {
    return listGaps(this.store.db, SCHEMA);
  }

  private async events(requestId: string): Promise<TraceEventRow[] | undefined> {
    return (await storedEvents(this.store.db, [requestId])).get(requestId);
  }
}
