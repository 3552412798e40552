import { Inject, Injectable } from '@nestjs/common';
import { type LimitBounds } from '@runlog/platform';
import { type GapList, listGaps, STORE, type Store } from '@runlog/store';
import { sql } from 'kysely';
import {
  type EventPosition,
  positionAt,
  readEvents,
  readHeader,
  readUsage,
  readWarnings,
} from '../store/trace-reads';
import { SCHEMA, type TraceStoreDb } from '../store/trace-store.schema';
import {
  compareText,
  type TraceEventRow,
  type TraceStatus,
  type TraceUsage,
  type TraceWarning,
  type UsageTotals,
} from '../trace/trace-model';
import { type TraceTree } from '../trace/trace-tree';
import { TreeBuilder, type TreeLimits } from '../trace/tree-builder';

/** Page sizes of `GET /v1/traces/{id}`: 500 events when `limit` is absent, 5,000 at most. */
export const TRACE_PAGE: LimitBounds = { fallback: 500, max: 5_000 };
/**
 * Usage answers list at most this many models, by name; `by_model_omitted` counts the rest
 * (which the totals include).
 */
export const USAGE_MODELS_CAP = 1_000;
/** The first page lists at most this many warnings; `warnings_omitted` counts the rest. */
export const TRACE_WARNINGS_CAP = 100;

/** The bounds of the reads of one trace (traceReadLimits gives the service's). */
export interface TraceReadLimits {
  /** What a tree holds before it is cut; `nodes` is RUNLOG_TRACE_TREE_MAX_NODES. */
  readonly tree: TreeLimits;
  /** The tree reads its events in runs of at most this many, and of this many payload bytes. */
  readonly treeRun: { readonly limit: number; readonly maxBytes: number };
  /** A page also stops once its payloads' JSON passes this many bytes. */
  readonly pageMaxBytes: number;
}

export const TRACE_READ_LIMITS = Symbol('TRACE_READ_LIMITS');

/**
 * The service's bounds for a node limit: trees nested at most 1,000 deep (JSON.stringify
 * fails near 2,500) and holding at most 16 Mi characters of text; tree runs of 5,000 events
 * or 4 MiB; pages of at most 8 MiB of payloads.
 */
export function traceReadLimits(treeMaxNodes: number): TraceReadLimits {
  return {
    tree: { nodes: treeMaxNodes, depth: 1_000, text: 16 * 1024 * 1024 },
    treeRun: { limit: 5_000, maxBytes: 4 * 1024 * 1024 },
    pageMaxBytes: 8 * 1024 * 1024,
  };
}

/**
 * A page of `GET /v1/traces/{id}` (DESIGN.md §4): events in `(timestamp, seq)` order, each
 * once; the trace's warnings on the first page only, the first TRACE_WARNINGS_CAP of them
 * and `warnings_omitted` when there are more; `next_after`, the last event's cursor, while
 * more events follow.
 */
export interface TracePage {
  readonly request_id: string;
  readonly events: readonly TraceEventRow[];
  readonly warnings: readonly TraceWarning[];
  readonly warnings_omitted?: number;
  readonly next_after: string | null;
}

/** A page, or what was not found: the trace, or the event `after` names in it. */
export type TracePageAnswer =
  | { readonly found: true; readonly page: TracePage }
  | { readonly found: false; readonly missing: 'trace' | 'after' };

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

/**
 * The reads behind trace-store's HTTP API: SQL for lists, pages and sums; one bounded pass
 * over a trace's events (without their payloads) for its tree. No read holds a whole trace.
 */
@Injectable()
export class TraceQueryService {
  constructor(
    @Inject(STORE) private readonly store: Store<TraceStoreDb>,
    @Inject(TRACE_READ_LIMITS) private readonly limits: TraceReadLimits,
  ) {}

  /**
   * One page of a trace's events after the event stored at cursor `after` (0: from the
   * start): an index range scan, and on the first page the warnings the database computes.
   */
  async page(
    requestId: string,
    request: { readonly after: number; readonly limit: number },
  ): Promise<TracePageAnswer> {
    const { db } = this.store;
    let from: EventPosition | undefined;
    if (request.after > 0) {
      from = await positionAt(db, requestId, request.after);
      if (from === undefined) {
        const known = (await readHeader(db, requestId)) !== undefined;
        return { found: false, missing: known ? 'after' : 'trace' };
      }
    }
    const run = await readEvents(db, requestId, {
      after: from,
      limit: request.limit,
      maxBytes: this.limits.pageMaxBytes,
      payload: 'whole',
    });
    if (from === undefined && run.events.length === 0) return { found: false, missing: 'trace' };
    const { warnings, total } =
      from === undefined
        ? await readWarnings(db, requestId, TRACE_WARNINGS_CAP)
        : { warnings: [], total: 0 };
    const omitted = total - warnings.length;
    return {
      found: true,
      page: {
        request_id: requestId,
        events: run.events,
        warnings,
        ...(omitted > 0 ? { warnings_omitted: omitted } : {}),
        next_after: run.more ? (run.events.at(-1)?.cursor ?? null) : null,
      },
    };
  }

  /**
   * The tree: its header from the trace's summary row, its nodes from one pass over the
   * events in order, a run at a time and with only the payload fields the tree reads,
   * cut at the tree limits (TreeBuilder). `undefined` for an unknown trace.
   */
  async tree(requestId: string): Promise<TraceTree | undefined> {
    const { db } = this.store;
    const header = await readHeader(db, requestId);
    if (header === undefined) return undefined;
    const builder = new TreeBuilder(this.limits.tree);
    const read = (after?: EventPosition) =>
      readEvents(db, requestId, {
        ...this.limits.treeRun,
        after,
        payload: builder.truncated ? 'tree-cut' : 'tree',
      });
    // The next run is asked for before this one is folded: the database and the fold
    // overlap, and at most two runs are held.
    for (let next = read(); ;) {
      const run = await next;
      const more = run.more && run.last !== undefined;
      if (more) {
        next = read(run.last);
        next.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
      }
      for (const event of run.events) builder.add(event);
      if (!more) break;
    }
    return { request_id: requestId, ...header, ...builder.finish() };
  }

  /** Usage from the rows the projection keeps per model, summed here (no event is read). */
  async usage(requestId: string): Promise<TraceUsage | undefined> {
    const stored = await readUsage(this.store.db, requestId, USAGE_MODELS_CAP);
    if (stored === undefined) return undefined;
    return {
      request_id: requestId,
      total: stored.total,
      by_model: [...stored.models].sort((a, b) => compareText(a.model, b.model)),
      ...(stored.omitted > 0 ? { by_model_omitted: stored.omitted } : {}),
    };
  }

  /**
   * Usage by model over the traces that started in a time range: the first
   * USAGE_MODELS_CAP models by name, and `by_model_omitted` counting the rest.
   */
  async usageByModel(filter: {
    readonly model?: string;
    readonly since?: number;
    readonly until?: number;
  }): Promise<{ by_model: Array<UsageTotals & { model: string }>; by_model_omitted?: number }> {
    let query = this.store.db
      .selectFrom('trace_store.usage')
      .select((eb) => [
        'model',
        eb.fn.sum<string>('input_tokens').as('prompt_tokens'),
        eb.fn.sum<string>('output_tokens').as('completion_tokens'),
        eb.fn.sum<string>('total_tokens').as('total_tokens'),
        eb.fn.sum<number>('cost_usd').as('cost_usd'),
        eb.fn.sum<string>('calls').as('calls'),
        sql<string>`count(*) over ()`.as('models'),
      ]);
    if (filter.model !== undefined) query = query.where('model', '=', filter.model);
    if (filter.since !== undefined) query = query.where('started_ms', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('started_ms', '<', filter.until);
    const rows = await query
      .groupBy('model')
      .orderBy(sql`model collate "C"`)
      .limit(USAGE_MODELS_CAP)
      .execute();
    const omitted = rows.length === 0 ? 0 : Number(rows[0]!.models) - rows.length;
    return {
      by_model: rows.map((row) => ({
        model: row.model,
        prompt_tokens: Number(row.prompt_tokens),
        completion_tokens: Number(row.completion_tokens),
        total_tokens: Number(row.total_tokens),
        cost_usd: Math.round(Number(row.cost_usd) * 1e9) / 1e9,
        calls: Number(row.calls),
      })),
      ...(omitted > 0 ? { by_model_omitted: omitted } : {}),
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

  gaps(): Promise<GapList> {
    return listGaps(this.store.db, SCHEMA);
  }
}
