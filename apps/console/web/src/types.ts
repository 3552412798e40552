// The services' answers the console reads (DESIGN.md §4), as the browser sees them.

export type TraceStatus = 'ok' | 'error' | 'cancelled' | 'open';
export const TRACE_STATUSES: readonly TraceStatus[] = ['ok', 'error', 'cancelled', 'open'];
export type NodeStatus = TraceStatus | 'truncated';

export interface TraceListItem {
  readonly request_id: string;
  readonly started_at: string;
  readonly ended_at: string;
  readonly duration_ms: number;
  readonly status: TraceStatus;
  readonly ops: number;
  readonly errors: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
}

export interface TraceSearchAnswer {
  readonly traces: readonly TraceListItem[];
  readonly next_after: string | null;
}

export interface UsageTotals {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly cost_usd: number;
  readonly calls: number;
}

export interface TraceNode {
  readonly type: 'op' | 'group';
  readonly name: string;
  readonly op_name: string | null;
  readonly ctx: readonly string[];
  readonly status: NodeStatus;
  readonly started_at: string;
  readonly ended_at: string | null;
  readonly duration_ms: number | null;
  readonly yield_count: number;
  readonly usage: UsageTotals | null;
  readonly annotations: readonly { readonly key: string; readonly value: unknown }[];
  readonly media: readonly {
    readonly handle: string;
    readonly mime: string;
    readonly size_bytes: number;
  }[];
  readonly children: readonly TraceNode[];
}

export interface TraceTree {
  readonly request_id: string;
  readonly started_at: string;
  readonly ended_at: string;
  readonly duration_ms: number;
  readonly status: TraceStatus;
  readonly roots: readonly TraceNode[];
  readonly truncated?: true;
  readonly truncated_by?: 'nodes' | 'depth' | 'text';
  readonly node_limit?: number;
  readonly omitted?: number;
}

export interface TraceWarning {
  readonly code: string;
  readonly message: string;
  readonly event_id?: string;
  readonly cursor?: string;
}

export interface TraceEvent {
  readonly cursor: string;
  readonly event_id: string;
  readonly kind: string;
  readonly op_name: string | null;
  readonly ctx: readonly string[];
  readonly timestamp: string;
  readonly seq: number;
  readonly payload: Record<string, unknown>;
}

export interface TracePage {
  readonly request_id: string;
  readonly events: readonly TraceEvent[];
  readonly warnings: readonly TraceWarning[];
  readonly warnings_omitted?: number;
  readonly next_after: string | null;
}

export interface TraceUsage {
  readonly request_id: string;
  readonly total: UsageTotals;
  readonly by_model: readonly (UsageTotals & { readonly model: string })[];
}

export interface Anomaly {
  readonly cursor: string;
  readonly code: string;
  readonly message: string;
}

export interface Lease {
  readonly execution_id: string;
  readonly state: 'held' | 'expired' | 'revoked';
  readonly owner: string | null;
  readonly lease_id: string | null;
  readonly acquired_at: string | null;
  readonly renewed_at: string | null;
  readonly renewals: number;
  readonly outcome: string | { readonly other: string } | null;
  readonly cursor: string;
  readonly anomalies: readonly Anomaly[];
  readonly anomalies_omitted?: number;
}

export interface HistoryEvent {
  readonly cursor: string;
  readonly kind: string;
  readonly id: string;
  readonly time: string;
  readonly data: Record<string, unknown>;
}

export interface HistoryPage {
  readonly execution_id: string;
  readonly events: readonly HistoryEvent[];
  readonly next_after: string | null;
}
